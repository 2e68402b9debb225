"""Parameter distributions: what values a hyperparameter may take.

A distribution is an immutable value object. It validates its own arguments once, at
construction, and knows three representations of a parameter value:

* the *external* value the objective sees (a float, an int, or one of the categorical choices);
* its JSON form (``to_json``/``distribution_from_json``), which is how storages keep it;
* a position in the unit interval (``to_unit``/``from_unit``), the shared coordinate system of
  model-based samplers. Integers and stepped floats give every admissible value an equal share
  of [0, 1]; log-scaled parameters are uniform in log space.
"""

from __future__ import annotations

import abc
import decimal
import math
from collections.abc import Sequence
from typing import Any, TypeAlias

from trimtab.exceptions import TrimtabError

CategoricalChoice: TypeAlias = bool | int | float | str | None
"""The values a categorical choice may take: JSON scalars, so any storage can keep them."""


class InvalidDistributionError(TrimtabError, ValueError):
    """A distribution was built from arguments outside what it allows."""


def _finite_number(arg: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidDistributionError(
            f"{arg}={value!r} must be a real number (int or float), got {type(value).__name__}"
        )
    if not math.isfinite(value):
        raise InvalidDistributionError(f"{arg}={value!r} must be a finite number")
    return float(value)


def _integer(arg: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDistributionError(f"{arg}={value!r} must be an integer")
    return int(value)


def _step_tolerance(k: float, scale: float, step: float) -> float:
    """How far from an integer ``k`` (a count of steps) may be and still count as one: a
    relative 1e-8, plus the rounding error of floats of magnitude ``scale``."""
    return 1e-8 * max(1.0, abs(k)) + 4.0 * math.ulp(scale) / step


def _decimals(x: float) -> int:
    """Digits after the decimal point in the shortest repr of ``x`` (0 for whole numbers)."""
    exponent = decimal.Decimal(repr(x)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class BaseDistribution(abc.ABC):
    """The contract every distribution follows."""

    __slots__ = ()

    @abc.abstractmethod
    def contains(self, value: Any) -> bool:
        """Whether ``value`` is an admissible external value."""

    @abc.abstractmethod
    def single(self) -> bool:
        """Whether exactly one value is admissible."""

    @abc.abstractmethod
    def to_unit(self, value: Any) -> float:
        """Map an admissible external value into [0, 1]."""

    @abc.abstractmethod
    def from_unit(self, u: float) -> Any:
        """Map a point of [0, 1] to the admissible external value it stands for."""

    @abc.abstractmethod
    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable description, read back by ``distribution_from_json``."""

    @abc.abstractmethod
    def describe(self) -> str:
        """A short human-readable description of the admissible values."""

    @abc.abstractmethod
    def _key(self) -> tuple[Any, ...]:
        """The fields that make two distributions equal."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseDistribution):
            return NotImplemented
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_json().items() if k != "type")
        return f"{type(self).__name__}({args})"


class FloatDistribution(BaseDistribution):
    """Reals in ``[low, high]``; on a log scale with ``log=True``; on a grid with ``step``."""

    __slots__ = ("_decimals", "_n", "high", "log", "low", "step")

    def __init__(
        self, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> None:
        lo = _finite_number("low", low)
        hi = _finite_number("high", high)
        if lo > hi:
            raise InvalidDistributionError(f"low={low!r} must be <= high={high!r}")
        if not math.isfinite(hi - lo):
            raise InvalidDistributionError(
                f"low={low!r}, high={high!r}: the range high - low must be a finite float"
            )
        if log and step is not None:
            raise InvalidDistributionError(
                f"step={step!r} cannot be combined with log=True; use one or the other"
            )
        if log and lo <= 0.0:
            raise InvalidDistributionError(f"low={low!r} must be > 0 when log=True")
        n = 0
        st: float | None = None
        if step is not None:
            st = _finite_number("step", step)
            if st <= 0.0:
                raise InvalidDistributionError(f"step={step!r} must be > 0")
            ratio = (hi - lo) / st
            if not ratio <= 1e15:
                raise InvalidDistributionError(
                    f"step={step!r} is too small for the range [{low!r}, {high!r}] (more than "
                    "1e15 values); use a larger step, or no step"
                )
            n = round(ratio)
            if abs(ratio - n) > _step_tolerance(ratio, max(abs(lo), abs(hi)), st):
                raise InvalidDistributionError(
                    f"step={step!r} must divide the range high - low = {hi - lo!r} "
                    f"(low={low!r}, high={high!r}); e.g. high={lo + math.floor(ratio) * st!r}"
                )
        self.low = lo
        self.high = hi
        self.log = bool(log)
        self.step = st
        self._n = n
        self._decimals = max(_decimals(lo), _decimals(st)) if st is not None else 0

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        x = float(value)
        if not (self.low <= x <= self.high):
            return False
        if self.step is None:
            return True
        k = (x - self.low) / self.step
        scale = max(abs(self.low), abs(self.high))
        return abs(k - round(k)) <= _step_tolerance(k, scale, self.step)

    def single(self) -> bool:
        return self.low == self.high

    def to_unit(self, value: Any) -> float:
        x = float(value)
        if self.step is not None:
            k = round((x - self.low) / self.step)
            return (k + 0.5) / (self._n + 1)
        if self.low == self.high:
            return 0.5
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            if hi == lo:
                return 0.5
            return min(1.0, max(0.0, (math.log(x) - lo) / (hi - lo)))
        return min(1.0, max(0.0, (x - self.low) / (self.high - self.low)))

    def from_unit(self, u: float) -> float:
        if self.step is not None:
            k = min(max(math.floor(u * (self._n + 1)), 0), self._n)
            # round to the decimals of low and step: 0.1 + 2 * 0.1 is 0.3, not 0.30000000000000004
            x = round(self.low + k * self.step, self._decimals)
            return min(max(x, self.low), self.high)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            x = math.exp(lo + u * (hi - lo))
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high, self.log, self.step)

    def describe(self) -> str:
        if self.step is not None:
            return f"a float in [{self.low!r}, {self.high!r}] on steps of {self.step!r}"
        scale = " (log scale)" if self.log else ""
        return f"a float in [{self.low!r}, {self.high!r}]{scale}"


class IntDistribution(BaseDistribution):
    """Integers in ``[low, high]`` spaced by ``step``; on a log scale with ``log=True``."""

    __slots__ = ("_n", "high", "log", "low", "step")

    def __init__(self, low: int, high: int, *, log: bool = False, step: int = 1) -> None:
        lo = _integer("low", low)
        hi = _integer("high", high)
        st = _integer("step", step)
        if lo > hi:
            raise InvalidDistributionError(f"low={low!r} must be <= high={high!r}")
        if st < 1:
            raise InvalidDistributionError(f"step={step!r} must be >= 1")
        if log and st != 1:
            raise InvalidDistributionError(f"step={step!r} must be 1 when log=True")
        if log and lo < 1:
            raise InvalidDistributionError(f"low={low!r} must be >= 1 when log=True")
        if (hi - lo) % st != 0:
            raise InvalidDistributionError(
                f"step={step!r} must divide the range high - low = {hi - lo} "
                f"(low={low!r}, high={high!r}); e.g. high={lo + (hi - lo) // st * st}"
            )
        self.low = lo
        self.high = hi
        self.log = bool(log)
        self.step = st
        self._n = (hi - lo) // st

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, float):
            if not value.is_integer():
                return False
            value = int(value)
        if not isinstance(value, int):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0

    def single(self) -> bool:
        return self.low == self.high

    def to_unit(self, value: Any) -> float:
        x = int(value)
        if self.log and self.low != self.high:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return (math.log(x) - lo) / (hi - lo)
        return ((x - self.low) // self.step + 0.5) / (self._n + 1)

    def from_unit(self, u: float) -> int:
        if self.log and self.low != self.high:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            x = round(math.exp(lo + u * (hi - lo)))
            return min(max(x, self.low), self.high)
        k = min(max(math.floor(u * (self._n + 1)), 0), self._n)
        return self.low + k * self.step

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "int",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high, self.log, self.step)

    def describe(self) -> str:
        step = f" on steps of {self.step}" if self.step != 1 else ""
        scale = " (log scale)" if self.log else ""
        return f"an integer in [{self.low}, {self.high}]{step}{scale}"


def _check_choice(index: int, choice: Any) -> CategoricalChoice:
    if choice is None or isinstance(choice, bool | int | str):
        return choice
    if isinstance(choice, float):
        if not math.isfinite(choice):
            raise InvalidDistributionError(
                f"choices[{index}]={choice!r} must be finite (NaN and inf cannot be stored in JSON)"
            )
        return choice
    raise InvalidDistributionError(
        f"choices[{index}]={choice!r} has type {type(choice).__name__}; choices must be "
        "None, bool, int, float or str so that storages can keep them as JSON (to choose "
        "among objects, choose among their names and map names to objects in the objective)"
    )


class CategoricalDistribution(BaseDistribution):
    """One of a fixed, ordered tuple of JSON scalar ``choices``."""

    __slots__ = ("_index", "choices")

    def __init__(self, choices: Sequence[CategoricalChoice]) -> None:
        if isinstance(choices, str | bytes) or not isinstance(choices, Sequence):
            raise InvalidDistributionError(f"choices={choices!r} must be a list or tuple of values")
        if len(choices) == 0:
            raise InvalidDistributionError("choices=[] must hold at least one value")
        checked = tuple(_check_choice(i, c) for i, c in enumerate(choices))
        index: dict[tuple[type, CategoricalChoice], int] = {}
        for i, c in enumerate(checked):
            key = (type(c), c)
            if key in index:
                raise InvalidDistributionError(
                    f"choices={list(checked)!r} lists {c!r} twice (positions {index[key]} "
                    f"and {i}); each choice must appear once"
                )
            index[key] = i
        self.choices = checked
        self._index = index

    def index_of(self, value: Any) -> int:
        """Position of ``value`` in ``choices``; ``ValueError`` if it is not one of them."""
        try:
            return self._index[(type(value), value)]
        except (KeyError, TypeError):
            pass
        # JSON round trips may turn 1.0 into 1; accept numerically equal numbers.
        for i, c in enumerate(self.choices):
            if (
                not isinstance(c, bool)
                and not isinstance(value, bool)
                and isinstance(c, int | float)
                and isinstance(value, int | float)
                and c == value
            ):
                return i
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}")

    def contains(self, value: Any) -> bool:
        try:
            self.index_of(value)
        except ValueError:
            return False
        return True

    def single(self) -> bool:
        return len(self.choices) == 1

    def to_unit(self, value: Any) -> float:
        return (self.index_of(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> CategoricalChoice:
        n = len(self.choices)
        return self.choices[min(max(math.floor(u * n), 0), n - 1)]

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}

    def describe(self) -> str:
        return f"one of {list(self.choices)!r}"

    def _key(self) -> tuple[Any, ...]:
        return tuple((type(c).__name__, c) for c in self.choices)


def distribution_from_json(data: dict[str, Any]) -> BaseDistribution:
    """Rebuild a distribution from ``BaseDistribution.to_json`` output."""
    kind = data.get("type")
    if kind == "float":
        return FloatDistribution(
            data["low"], data["high"], log=bool(data.get("log", False)), step=data.get("step")
        )
    if kind == "int":
        return IntDistribution(
            data["low"],
            data["high"],
            log=bool(data.get("log", False)),
            step=int(data.get("step", 1)),
        )
    if kind == "categorical":
        return CategoricalDistribution(data["choices"])
    raise InvalidDistributionError(
        f"type={kind!r} is not a distribution type; allowed: 'float', 'int', 'categorical'"
    )
