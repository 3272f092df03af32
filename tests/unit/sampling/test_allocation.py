import logging

import pytest

from affectlab.errors import ConfigError, InputError
from affectlab.sampling import allocate

ROWS = {"big": 9000, "mid": 800, "small": 150, "tiny": 50}


def test_proportional_allocation_is_exact_and_follows_source_sizes():
    a = allocate(ROWS, 1000, "proportional")
    assert sum(a.allocated.values()) == 1000
    assert a.allocated == {"big": 900, "mid": 80, "small": 15, "tiny": 5}


def test_proportional_largest_remainder_keeps_the_total_exact():
    a = allocate({"a": 500, "b": 500, "c": 500}, 100, "proportional")
    assert sorted(a.allocated.values()) == [33, 33, 34] and sum(a.allocated.values()) == 100


def test_min_per_source_lifts_small_sources_and_the_rest_stays_proportional():
    a = allocate(ROWS, 1000, "proportional", min_per_source=40)
    assert a.allocated["tiny"] == 40 and a.allocated["small"] == 40
    assert sum(a.allocated.values()) == 1000
    assert a.allocated["big"] / a.allocated["mid"] == pytest.approx(9000 / 800, rel=0.02)


def test_equal_allocation_gives_every_source_the_same_count():
    a = allocate(ROWS, 160, "equal")
    assert a.allocated == {"big": 40, "mid": 40, "small": 40, "tiny": 40} and a.short == []


def test_a_source_smaller_than_its_equal_share_takes_all_warns_and_the_rest_is_redistributed(caplog):
    with caplog.at_level(logging.WARNING):
        a = allocate(ROWS, 1000, "equal")
    assert a.target["tiny"] == 250 and a.allocated["tiny"] == 50 and a.short == ["small", "tiny"]
    assert a.allocated["small"] == 150 and a.allocated["big"] == a.allocated["mid"] == 400
    assert sum(a.allocated.values()) == 1000
    assert "'tiny' has 50 rows, fewer than its allocation 250" in caplog.text


def test_explicit_mapping_takes_counts_per_source_and_caps_at_the_source_size(caplog):
    with caplog.at_level(logging.WARNING):
        a = allocate(ROWS, 1000, {"mid": 30, "tiny": 70})
    assert a.allocated == {"big": 0, "mid": 30, "small": 0, "tiny": 50}
    assert a.target["tiny"] == 70 and "tiny" in caplog.text


def test_explicit_mapping_with_an_unknown_source_names_it_and_the_known_ones():
    with pytest.raises(InputError, match=r"source 'huge' is not in the dataset \(sources: big, mid, small, tiny\)"):
        allocate(ROWS, 10, {"huge": 3})


def test_n_larger_than_the_dataset_takes_every_row_and_warns(caplog):
    with caplog.at_level(logging.WARNING):
        a = allocate(ROWS, 20000, "proportional")
    assert a.allocated == ROWS and sum(a.target.values()) == 20000
    assert "larger than the dataset (10000 rows)" in caplog.text


def test_min_per_source_that_cannot_fit_in_n_is_a_config_error():
    with pytest.raises(ConfigError, match=r"min_per_source: 300 x 4 sources = 1200 exceeds n = 1000"):
        allocate(ROWS, 1000, "equal", min_per_source=300)
