"""Review a change: params, metrics, stage outs and plots of two revisions in one Markdown document.

    python -m affectlab.review --base REV [--head REV|workspace|EXP] [--out reports/review.md] [--all]

`compare.build_review` collects the differences through DVC (revisions, experiments, the workspace),
`markdown.render` writes the document, `vega` renders the declared Vega-Lite plots offline, and
`offline_template` writes the page template that makes `dvc plots show/diff` work without a network.
"""
