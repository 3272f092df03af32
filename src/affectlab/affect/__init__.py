"""Family E: an affect dataset (valence / intimacy / tension) with archetype coverage, a labeling tool and
two regressors. Records and their validator: `affectlab.affect.records`; CLI: `python -m affectlab.affect`."""
