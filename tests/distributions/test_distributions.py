from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from trimtab.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    InvalidDistributionError,
    distribution_from_json,
)
from trimtab.exceptions import TrimtabError

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: FloatDistribution(1.0, 0.0), "low=1.0 must be <= high=0.0"),
        (lambda: FloatDistribution(0.0, 1.0, log=True), "low=0.0 must be > 0 when log=True"),
        (lambda: FloatDistribution(-1.0, 1.0, log=True), "must be > 0 when log=True"),
        (lambda: FloatDistribution(0.0, 1.0, step=0.3), "step=0.3 must divide the range"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.1), "step=-0.1 must be > 0"),
        (lambda: FloatDistribution(0.0, math.inf), "high=inf must be a finite number"),
        (lambda: FloatDistribution(math.nan, 1.0), "low=nan must be a finite number"),
        (lambda: FloatDistribution("0", 1.0), "low='0' must be a real number"),
        (lambda: FloatDistribution(1e-3, 1.0, log=True, step=0.1), "cannot be combined"),
        (lambda: IntDistribution(5, 1), "low=5 must be <= high=1"),
        (lambda: IntDistribution(0, 10, log=True), "low=0 must be >= 1 when log=True"),
        (lambda: IntDistribution(0, 10, step=3), "step=3 must divide the range"),
        (lambda: IntDistribution(0, 10, step=0), "step=0 must be >= 1"),
        (lambda: IntDistribution(1, 10, step=3, log=True), "must be 1 when log=True"),
        (lambda: IntDistribution(0.5, 10), "low=0.5 must be an integer"),
        (lambda: IntDistribution(True, 10), "low=True must be an integer"),
        (lambda: CategoricalDistribution([]), "at least one value"),
        (lambda: CategoricalDistribution("abc"), "must be a list or tuple"),
        (lambda: CategoricalDistribution([object()]), "choices must be None, bool, int"),
        (lambda: CategoricalDistribution([[1, 2]]), "has type list"),
        (lambda: CategoricalDistribution([{"a": 1}]), "has type dict"),
        (lambda: CategoricalDistribution([1.0, math.nan]), "choices[1]=nan must be finite"),
        (lambda: CategoricalDistribution(["a", "b", "a"]), "lists 'a' twice"),
    ],
)
def test_bad_arguments_name_the_argument_value_and_rule(make, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidDistributionError) as info:
        make()
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TrimtabError)


def test_step_error_suggests_a_valid_high() -> None:
    with pytest.raises(ValueError, match=r"e\.g\. high=9"):
        IntDistribution(0, 10, step=3)


def test_float_step_tolerates_binary_rounding() -> None:
    d = FloatDistribution(0.0, 1.0, step=0.1)
    assert d.contains(0.3) and d.contains(0.30000000000000004)
    assert not d.contains(0.35)


def test_equality_and_hash_follow_fields() -> None:
    assert FloatDistribution(0, 1) == FloatDistribution(0.0, 1.0)
    assert FloatDistribution(0, 1) != FloatDistribution(0, 1, step=0.5)
    assert IntDistribution(1, 3) != FloatDistribution(1, 3)
    assert CategoricalDistribution([1, "1"]) != CategoricalDistribution(["1", 1])
    assert CategoricalDistribution([True]) != CategoricalDistribution([1])
    assert len({FloatDistribution(0, 1), FloatDistribution(0.0, 1.0)}) == 1


def test_categorical_accepts_json_scalars_and_finds_them() -> None:
    d = CategoricalDistribution([None, True, 1, 2.5, "relu"])
    assert [d.index_of(c) for c in d.choices] == [0, 1, 2, 3, 4]
    assert d.contains(1.0)  # JSON may turn 1 into 1.0
    assert not d.contains("tanh")
    with pytest.raises(ValueError, match="not one of the choices"):
        d.index_of("tanh")


# ---- property-based: encoding to the unit interval and back ---------------------------------


@st.composite
def float_dists(draw: st.DrawFn) -> FloatDistribution:
    kind = draw(st.sampled_from(["linear", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(min_value=1e-8, max_value=1e4))
        high = low * draw(st.floats(min_value=1.0, max_value=1e6))
        return FloatDistribution(low, high, log=True)
    low = draw(finite)
    if kind == "step":
        step = draw(st.sampled_from([0.001, 0.1, 0.25, 1.0, 16.0]))
        return FloatDistribution(low, low + step * draw(st.integers(0, 1000)), step=step)
    return FloatDistribution(low, low + draw(st.floats(min_value=0.0, max_value=1e6)))


@st.composite
def int_dists(draw: st.DrawFn) -> IntDistribution:
    low = draw(st.integers(-1000, 1000))
    if draw(st.booleans()):
        low = max(low, 1)
        return IntDistribution(low, low + draw(st.integers(0, 10_000)), log=True)
    step = draw(st.integers(1, 17))
    return IntDistribution(low, low + step * draw(st.integers(0, 500)), step=step)


@given(float_dists(), unit)
def test_float_decode_stays_in_bounds_and_on_steps(d: FloatDistribution, u: float) -> None:
    x = d.from_unit(u)
    assert d.low <= x <= d.high
    assert d.contains(x)


@given(float_dists(), unit)
def test_float_round_trip(d: FloatDistribution, u: float) -> None:
    x = d.from_unit(u)
    again = d.from_unit(d.to_unit(x))
    assert again == pytest.approx(x, rel=1e-9, abs=1e-9 * max(1.0, abs(d.high - d.low)))
    assert 0.0 <= d.to_unit(x) <= 1.0


@given(int_dists(), unit)
def test_int_round_trip_is_exact(d: IntDistribution, u: float) -> None:
    x = d.from_unit(u)
    assert isinstance(x, int)
    assert d.contains(x)
    assert d.from_unit(d.to_unit(x)) == x


@given(int_dists(), st.data())
def test_every_int_value_encodes_inside_the_unit_interval(
    d: IntDistribution, data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, (d.high - d.low) // d.step))
    x = d.low + k * d.step
    assume(d.contains(x))
    assert 0.0 < d.to_unit(x) < 1.0
    assert d.from_unit(d.to_unit(x)) == x


@given(
    st.lists(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text()),
        min_size=1,
        unique_by=lambda c: (type(c), c),
    ),
    unit,
)
def test_categorical_round_trip(choices: list[object], u: float) -> None:
    d = CategoricalDistribution(choices)  # type: ignore[arg-type]
    c = d.from_unit(u)
    assert c in d.choices or c is None
    assert d.from_unit(d.to_unit(c)) == c


def test_stepped_values_each_get_an_equal_share() -> None:
    d = IntDistribution(0, 9)
    counts = [0] * 10
    for i in range(1000):
        counts[d.from_unit((i + 0.5) / 1000)] += 1
    assert counts == [100] * 10


@given(st.one_of(float_dists(), int_dists()))
def test_json_round_trip(d: FloatDistribution | IntDistribution) -> None:
    assert distribution_from_json(d.to_json()) == d


def test_json_rejects_unknown_type() -> None:
    with pytest.raises(InvalidDistributionError, match="type='uniform' is not a distribution"):
        distribution_from_json({"type": "uniform"})


def test_stepped_floats_land_exactly_on_their_decimal_grid() -> None:
    d = FloatDistribution(0.1, 0.5, step=0.1)
    values = [d.from_unit((k + 0.5) / 5) for k in range(5)]
    assert values == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_degenerate_and_huge_ranges() -> None:
    d = FloatDistribution(1.0, 1.0 + 1e-15, log=True)
    assert d.from_unit(d.to_unit(1.0)) == pytest.approx(1.0)
    with pytest.raises(InvalidDistributionError, match="range high - low must be a finite"):
        FloatDistribution(-1e308, 1e308)
    with pytest.raises(InvalidDistributionError, match="step=1e-300 is too small"):
        FloatDistribution(0.0, 1e300, step=1e-300)


def test_equal_distributions_hash_equal() -> None:
    assert FloatDistribution(-0.0, 1) == FloatDistribution(0.0, 1)
    assert hash(FloatDistribution(-0.0, 1)) == hash(FloatDistribution(0.0, 1))


def test_steps_on_large_or_long_bounds() -> None:
    # float rounding of high - low must not make a valid step look like it does not divide
    assert FloatDistribution(131072.0, 131072.001, step=0.001).single() is False
    d = FloatDistribution(100000.2030521608, 100000.2040521608, step=0.001)
    assert d.from_unit(0.0) == d.low and d.from_unit(0.99) == d.high
    assert d.contains(d.from_unit(0.0))
