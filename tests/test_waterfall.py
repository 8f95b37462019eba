"""Tests of the guided fund's European waterfall (docs/model.md, "Guided fund").

Hand-computed cases: the arithmetic is written out next to each expectation.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundflow.engine.waterfall import WaterfallSplit, WaterfallTerms, distribute, early_exit_price

GOV = [(0.0, 25.0)]  # C_g = 25, called at t = 0
SOCIAL = [(0.0, 75.0)]  # C_s = 75, called at t = 0


def terms(
    hurdle: float = 0.08,
    carry: float = 0.2,
    concession: float = 0.0,
    first_loss: float = 0.0,
) -> WaterfallTerms:
    return WaterfallTerms(
        hurdle=hurdle,
        carry=carry,
        government_concession=concession,
        government_first_loss=first_loss,
    )


def assert_split(split: WaterfallSplit, government: float, social: float, manager: float) -> None:
    assert split.government == pytest.approx(government, rel=1e-12, abs=1e-12)
    assert split.social == pytest.approx(social, rel=1e-12, abs=1e-12)
    assert split.manager == pytest.approx(manager, rel=1e-12, abs=1e-12)


# --- step 1: losses -------------------------------------------------------------


def test_loss_with_first_loss() -> None:
    # C = 100, P = 80: shortfall S = 20; FL = 0.4 * 25 = 10.
    # Government bears min(20, 10) = 10 first; the remaining 10 pro rata 25:75
    # -> government 2.5, social 7.5.
    # government = 25 - 10 - 2.5 = 12.5; social = 75 - 7.5 = 67.5.
    split = distribute(80.0, GOV, SOCIAL, end=3.0, terms=terms(first_loss=0.4, concession=0.5))
    assert_split(split, 12.5, 67.5, 0.0)
    assert split.first_loss_borne == pytest.approx(10.0)
    assert split.government_capital == pytest.approx(12.5)
    assert split.social_capital == pytest.approx(67.5)
    assert split.government_preferred == split.social_preferred == 0.0
    assert split.carry_base == 0.0
    assert split.concession == 0.0


def test_loss_without_first_loss() -> None:
    # S = 20 all pro rata 25:75 -> government loses 5, social 15.
    # government = 20, social = 60.
    split = distribute(80.0, GOV, SOCIAL, end=3.0, terms=terms(first_loss=0.0))
    assert_split(split, 20.0, 60.0, 0.0)
    assert split.first_loss_borne == 0.0


def test_small_loss_covered_entirely_by_first_loss() -> None:
    # P = 95: S = 5 <= FL = 10 -> government bears all 5, nothing left to share.
    # government = 20, social = 75.
    split = distribute(95.0, GOV, SOCIAL, end=3.0, terms=terms(first_loss=0.4))
    assert_split(split, 20.0, 75.0, 0.0)
    assert split.first_loss_borne == pytest.approx(5.0)


def test_deep_loss_never_pays_negative() -> None:
    # P = 5, FL = 1.0 * 25 = 25: S = 95, government bears 25 first, then 70 pro rata
    # -> government 17.5 more: its loss (42.5) would exceed its capital (25), so it
    # gets 0 and the social LPs get all of P = 5.
    split = distribute(5.0, GOV, SOCIAL, end=3.0, terms=terms(first_loss=1.0))
    assert_split(split, 0.0, 5.0, 0.0)


def test_zero_proceeds() -> None:
    split = distribute(0.0, GOV, SOCIAL, end=3.0, terms=terms(first_loss=0.4))
    assert_split(split, 0.0, 0.0, 0.0)


# --- step 2: preferred return -------------------------------------------------------


def test_small_gain_under_hurdle() -> None:
    # end = 1, h = 0.08: pref_g = 25 * 0.08 = 2, pref_s = 75 * 0.08 = 6, owed 8.
    # P = 104: after capital 4 < 8 left, paid pro rata to owed 2:6 -> 1 and 3.
    # No remainder, so no carry and no concession.
    # government = 25 + 1 = 26; social = 75 + 3 = 78.
    split = distribute(104.0, GOV, SOCIAL, end=1.0, terms=terms(concession=0.5))
    assert_split(split, 26.0, 78.0, 0.0)
    assert split.government_preferred == pytest.approx(1.0)
    assert split.social_preferred == pytest.approx(3.0)
    assert split.carry_base == 0.0
    assert split.concession == 0.0


# --- step 3 and 4: carry and concession -----------------------------------------


def test_large_gain_no_concession() -> None:
    # P = 200, end = 1, h = 0.08: capital 100, pref 2 + 6 = 8, remainder 92.
    # carry 0.2 * 92 = 18.4; LPs 73.6 pro rata 25:75 -> 18.4 and 55.2.
    # government = 25 + 2 + 18.4 = 45.4; social = 75 + 6 + 55.2 = 136.2;
    # 45.4 + 136.2 + 18.4 = 200.
    split = distribute(200.0, GOV, SOCIAL, end=1.0, terms=terms(concession=0.0))
    assert_split(split, 45.4, 136.2, 18.4)
    assert split.carry_base == pytest.approx(92.0)
    assert split.concession == 0.0


def test_large_gain_half_concession() -> None:
    # As above, but half of the government's 18.4 of remainder (9.2) goes to social.
    # government = 45.4 - 9.2 = 36.2; social = 136.2 + 9.2 = 145.4; manager 18.4.
    split = distribute(200.0, GOV, SOCIAL, end=1.0, terms=terms(concession=0.5))
    assert_split(split, 36.2, 145.4, 18.4)
    assert split.concession == pytest.approx(9.2)
    # The concession never touches capital or preferred return.
    assert split.government_capital == pytest.approx(25.0)
    assert split.government_preferred == pytest.approx(2.0)


def test_no_carry_no_hurdle_is_pro_rata() -> None:
    # h = 0, carry = 0: everything pro rata to paid-in 25:75 -> 50 and 150.
    split = distribute(200.0, GOV, SOCIAL, end=4.0, terms=terms(hurdle=0.0, carry=0.0))
    assert_split(split, 50.0, 150.0, 0.0)


# --- hurdle compounding from each call --------------------------------------------

STAGGERED_GOV = [(0.0, 10.0), (2.0, 10.0)]  # C_g = 20
STAGGERED_SOCIAL = [(1.0, 30.0), (3.0, 30.0)]  # C_s = 60


def test_calls_at_different_times_full_hurdle() -> None:
    # end = 4, h = 0.1:
    # pref_g = 10 (1.1^4 - 1) + 10 (1.1^2 - 1) = 4.641 + 2.1  = 6.741
    # pref_s = 30 (1.1^3 - 1) + 30 (1.1^1 - 1) = 9.93  + 3.0  = 12.93   (owed 19.671)
    # P = 100: left after capital 80 is 20 >= 19.671 -> remainder 0.329;
    # carry 0.2 * 0.329 = 0.0658; LPs 0.2632 pro rata 20:60 -> 0.0658 and 0.1974.
    # government = 20 + 6.741 + 0.0658 = 26.8068
    # social     = 60 + 12.93 + 0.1974 = 73.1274
    split = distribute(100.0, STAGGERED_GOV, STAGGERED_SOCIAL, end=4.0, terms=terms(hurdle=0.1))
    assert split.government_preferred == pytest.approx(6.741, rel=1e-12)
    assert split.social_preferred == pytest.approx(12.93, rel=1e-12)
    assert split.carry_base == pytest.approx(0.329, rel=1e-9)
    assert_split(split, 26.8068, 73.1274, 0.0658)


def test_calls_at_different_times_partial_hurdle() -> None:
    # P = 90: left after capital 10 < owed 19.671, paid pro rata to owed:
    # government 10 * 6.741 / 19.671, social 10 * 12.93 / 19.671; no carry.
    split = distribute(90.0, STAGGERED_GOV, STAGGERED_SOCIAL, end=4.0, terms=terms(hurdle=0.1))
    assert_split(split, 20 + 10 * 6.741 / 19.671, 60 + 10 * 12.93 / 19.671, 0.0)


def test_one_class_paid_nothing() -> None:
    # Only social capital: P = 200, C_s = 75, end = 1, h = 0.08 -> pref 6, remainder 119,
    # carry 23.8, social 75 + 6 + 95.2 = 176.2; government 0.
    split = distribute(200.0, [], SOCIAL, end=1.0, terms=terms(first_loss=0.4, concession=0.5))
    assert_split(split, 0.0, 176.2, 23.8)


# --- nothing paid in -----------------------------------------------------------------


def test_nothing_paid_in_is_all_remainder() -> None:
    # No capital, no preferred return: P = 50 is remainder. carry 10; LPs 40 split by
    # government_share 0.25 -> 10 and 30; concession 0.5 moves 5 -> 5 and 35.
    split = distribute(50.0, [], [], end=2.0, terms=terms(concession=0.5), government_share=0.25)
    assert_split(split, 5.0, 35.0, 10.0)


def test_nothing_paid_in_and_nothing_to_split() -> None:
    assert_split(distribute(0.0, [], [], end=2.0, terms=terms()), 0.0, 0.0, 0.0)


def test_nothing_paid_in_needs_a_key() -> None:
    with pytest.raises(ValueError, match="government_share"):
        distribute(50.0, [], [], end=2.0, terms=terms())


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize("proceeds", [-1.0, math.nan, math.inf])
def test_bad_proceeds(proceeds: float) -> None:
    with pytest.raises(ValueError, match="proceeds"):
        distribute(proceeds, GOV, SOCIAL, end=1.0, terms=terms())


@pytest.mark.parametrize(
    "calls", [[(0.0, 0.0)], [(0.0, -5.0)], [(0.0, math.nan)], [(2.0, 5.0)], [(1.0, 2.0, 3.0)]]
)
def test_bad_calls(calls: list[tuple[float, ...]]) -> None:
    with pytest.raises(ValueError, match="social_calls"):
        distribute(10.0, GOV, calls, end=1.0, terms=terms())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field, value",
    [
        ("hurdle", -0.01),
        ("carry", 1.5),
        ("government_concession", -0.1),
        ("government_first_loss", math.nan),
    ],
)
def test_bad_terms(field: str, value: float) -> None:
    good = terms()
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(good, **{field: value})


# --- early exit -----------------------------------------------------------------------


def test_early_exit_price() -> None:
    # year 5, rate 3%: 10 (1 + 0.03 * 5) + 10 (1 + 0.03 * 3) = 11.5 + 10.9 = 22.4;
    # the call at t = 5 counts at par (+5); the call at t = 6 is not yet paid in.
    calls = [(0.0, 10.0), (2.0, 10.0), (5.0, 5.0), (6.0, 7.0)]
    assert early_exit_price(calls, year=5.0, rate=0.03) == pytest.approx(27.4, rel=1e-12)


def test_early_exit_price_no_calls_and_zero_rate() -> None:
    assert early_exit_price([], year=5.0, rate=0.03) == 0.0
    assert early_exit_price([(1.0, 4.0), (3.0, 6.0)], year=5.0, rate=0.0) == pytest.approx(10.0)


@pytest.mark.parametrize("year, rate", [(5.0, -0.01), (math.nan, 0.03), (5.0, math.inf)])
def test_early_exit_price_bad_inputs(year: float, rate: float) -> None:
    with pytest.raises(ValueError):
        early_exit_price([(0.0, 10.0)], year=year, rate=rate)


# --- properties -----------------------------------------------------------------------

money = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)
share = st.floats(min_value=0.0, max_value=1.0)
calls_strategy = st.lists(st.tuples(st.floats(min_value=0.0, max_value=10.0), money), max_size=5)
terms_strategy = st.builds(
    WaterfallTerms,
    hurdle=st.floats(min_value=0.0, max_value=0.5),
    carry=share,
    government_concession=share,
    government_first_loss=share,
)


@given(
    proceeds=st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=1e5)),
    gov=calls_strategy,
    social=calls_strategy,
    extra_years=st.floats(min_value=0.0, max_value=10.0),
    waterfall=terms_strategy,
    government_share=share,
)
def test_split_conserves_and_is_non_negative(
    proceeds: float,
    gov: list[tuple[float, float]],
    social: list[tuple[float, float]],
    extra_years: float,
    waterfall: WaterfallTerms,
    government_share: float,
) -> None:
    end = max([t for t, _ in gov + social], default=0.0) + extra_years
    split = distribute(proceeds, gov, social, end, waterfall, government_share=government_share)
    total = split.government + split.social + split.manager
    assert math.isclose(total, proceeds, rel_tol=1e-12, abs_tol=1e-9)
    assert all(value >= 0.0 for value in dataclasses.astuple(split))
    # Capital is never over-returned, and carry is only charged on the remainder.
    assert split.government_capital <= sum(a for _, a in gov) * (1 + 1e-12)
    assert split.social_capital <= sum(a for _, a in social) * (1 + 1e-12)
    assert split.manager == pytest.approx(waterfall.carry * split.carry_base)


@given(
    proceeds=st.floats(min_value=0.0, max_value=1e3),
    gov=calls_strategy.filter(bool),
    social=calls_strategy.filter(bool),
    waterfall=terms_strategy,
    more_first_loss=share,
)
def test_more_first_loss_never_helps_the_government(
    proceeds: float,
    gov: list[tuple[float, float]],
    social: list[tuple[float, float]],
    waterfall: WaterfallTerms,
    more_first_loss: float,
) -> None:
    end = 10.0
    higher = min(1.0, waterfall.government_first_loss + more_first_loss)
    base = distribute(proceeds, gov, social, end, waterfall)
    worse = distribute(
        proceeds, gov, social, end, dataclasses.replace(waterfall, government_first_loss=higher)
    )
    assert worse.government <= base.government + 1e-9 * max(1.0, proceeds)
