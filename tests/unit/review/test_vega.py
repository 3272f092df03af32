from affectlab.review.vega import one_revision, render_png, rows_of

SPEC = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"x": "a", "y": 1, "rev": "HEAD"}, {"x": "a", "y": 2, "rev": "exp"},
                            {"x": "b", "y": 3, "rev": "exp"}]},
        "mark": "bar",
        "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"},
                     "color": {"field": "rev", "scale": {"domain": ["HEAD", "exp"], "range": ["#945dd6", "#13adc7"]}}}}


def test_one_revision_keeps_its_rows_label_and_colour():
    spec = one_revision(SPEC, "exp", "exp (1234567)")
    assert spec["data"]["values"] == [{"x": "a", "y": 2, "rev": "exp (1234567)"}, {"x": "b", "y": 3, "rev": "exp (1234567)"}]
    assert spec["encoding"]["color"]["scale"] == {"domain": ["exp (1234567)"], "range": ["#13adc7"]}
    assert len(SPEC["data"]["values"]) == 3  # the input is not modified


def test_rows_of_compare_sides_without_the_rev_field():
    assert rows_of(SPEC, "HEAD") == [{"x": "a", "y": 1}]
    assert rows_of(SPEC, "missing") == []


def test_render_png_draws_a_valid_png_offline():
    png = render_png(one_revision(SPEC, "HEAD", "base"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
