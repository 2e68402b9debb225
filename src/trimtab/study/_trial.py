"""``Trial``: the live handle an objective receives to suggest values and report progress.

Writes are buffered and sent to storage in one transaction at each ``report``,
``should_prune`` and at the end of the trial (``Study.tell``), so suggesting a parameter costs
no database round trip.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trimtab._logging import get_logger
from trimtab.distributions import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    InvalidDistributionError,
)
from trimtab.exceptions import TrimtabError, UpdateFinishedTrialError
from trimtab.storages._base import check_json
from trimtab.trial import FrozenTrial
from trimtab.trial._frozen import FIXED_PARAMS_ATTR, PROPOSAL_ATTR

if TYPE_CHECKING:
    from trimtab.study._heartbeat import HeartbeatThread
    from trimtab.study._study import Study

_logger = get_logger(__name__)
D = TypeVar("D", FloatDistribution, IntDistribution, CategoricalDistribution)


# Distributions built by suggest_float/suggest_int, by their exact arguments: validating the
# same bounds on every call of a long study is wasted work.
_FLOATS: dict[tuple[Any, ...], FloatDistribution] = {}
_INTS: dict[tuple[Any, ...], IntDistribution] = {}
_CATS: dict[tuple[Any, ...], CategoricalDistribution] = {}


def _distribution(
    cache: dict[tuple[Any, ...], D], key: tuple[Any, ...], make: Callable[[], D], what: str
) -> D:
    """The distribution for these suggest arguments: from the cache, or built and checked."""
    try:
        dist = cache.get(key)
    except TypeError:  # unhashable arguments: building the distribution explains what is wrong
        dist = None
    if dist is None:
        try:
            dist = make()
        except InvalidDistributionError as exc:
            raise InvalidDistributionError(f"{what}: {exc}") from None
        if len(cache) > 4096:
            cache.clear()
        cache[key] = dist
    return dist


class Trial:
    """One evaluation of the objective. Obtained from ``Study.ask`` or inside ``optimize``."""

    def __init__(
        self,
        study: Study,
        frozen: FrozenTrial,
        heartbeat: HeartbeatThread | None = None,
        *,
        resumed: bool = False,
        proposal: tuple[dict[str, BaseDistribution], dict[str, Any]] | None = None,
    ) -> None:
        self.study = study
        # With heartbeats, parameters are written as they are suggested, so that a lost
        # trial's retry gets them.
        self._heartbeat = heartbeat
        self._trial_id = frozen.trial_id
        self.number = frozen.number
        self._frozen = frozen
        self._params: dict[str, Any] = dict(frozen._params)
        self._distributions: dict[str, BaseDistribution] = dict(frozen._distributions)
        self._fixed: dict[str, Any] = dict(frozen._system_attrs.get(FIXED_PARAMS_ATTR) or {})
        self._intermediate: dict[int, float] = dict(frozen._intermediate_values)
        self._user_attrs: dict[str, Any] = dict(frozen._user_attrs)
        self._system_attrs: dict[str, Any] = dict(frozen._system_attrs)
        self._pending_params: dict[str, Any] = {}
        self._pending_iv: dict[int, float] = {}
        self._pending_user: dict[str, Any] = {}
        self._pending_system: dict[str, Any] = {}
        self._finished = False
        # the promotion form (study._resume): set by ask(checkpoint_root=...)
        self._budget: int | None = None
        self._max_budget: int | None = None
        self._checkpoint_root: Path | None = None
        sampler = study.sampler
        self._relative_space: dict[str, BaseDistribution] = {}
        self._relative: dict[str, Any] = {}
        if proposal is not None:  # proposed (and recorded) where the trial was asked for
            self._relative_space, self._relative = dict(proposal[0]), dict(proposal[1])
            return
        if resumed:  # a promoted trial: its parameters are stored, nothing to propose
            return
        self._relative_space = sampler.infer_relative_search_space(study, frozen)
        self._relative = (
            sampler.sample_relative(study, frozen, self._relative_space)
            if self._relative_space
            else {}
        )
        if self._relative:  # other workers see where this trial is going (fantasies, liars)
            self.set_system_attr(PROPOSAL_ATTR, self._relative)
            self.flush()

    # ---- suggest -------------------------------------------------------------------------

    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """A float in ``[low, high]``; log-uniform with ``log=True``; on a grid with ``step``."""
        key = (type(low), low, type(high), high, type(step), step, log)
        dist = _distribution(
            _FLOATS,
            key,
            lambda: FloatDistribution(low, high, log=log, step=step),
            f"suggest_float({name!r})",
        )
        return float(self.suggest(name, dist))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An integer in ``[low, high]`` spaced by ``step``; log-uniform with ``log=True``."""
        key = (type(low), low, type(high), high, type(step), step, log)
        dist = _distribution(
            _INTS,
            key,
            lambda: IntDistribution(low, high, log=log, step=step),
            f"suggest_int({name!r})",
        )
        return int(self.suggest(name, dist))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> CategoricalChoice:
        """One of ``choices`` (None, bool, int, float or str values)."""
        key: tuple[Any, ...]
        try:
            key = tuple((type(c), c) for c in choices)
        except TypeError:  # not iterable: building the distribution explains what is wrong
            key = (choices,)
        dist = _distribution(
            _CATS, key, lambda: CategoricalDistribution(choices), f"suggest_categorical({name!r})"
        )
        return self.suggest(name, dist)  # type: ignore[no-any-return]

    def suggest(self, name: str, distribution: BaseDistribution) -> Any:
        """A value for parameter ``name`` drawn from ``distribution`` (the declarative form).

        Suggesting the same name again in this trial returns the same value; suggesting it
        with a different distribution is an error.
        """
        known = self._distributions.get(name)
        if known is not None:
            if known != distribution:
                raise ValueError(
                    f"parameter {name!r} was already suggested in trial {self.number} as "
                    f"{known!r}; it cannot be suggested again as {distribution!r} (one name, "
                    "one distribution per trial)"
                )
            return self._params[name]
        if not isinstance(name, str) or not name:
            raise ValueError(f"name={name!r} must be a non-empty string")
        if not isinstance(distribution, BaseDistribution):
            raise TypeError(
                f"distribution={distribution!r} must be a trimtab.distributions distribution"
            )
        if name in self._fixed:
            value = self._fixed[name]
            if not distribution.contains(value):
                raise ValueError(
                    f"enqueued value {value!r} for parameter {name!r} is not "
                    f"{distribution.describe()}"
                )
            if isinstance(distribution, CategoricalDistribution):  # 1 -> the choice 1.0
                value = distribution.choices[distribution.index_of(value)]
        elif name in self._relative and self._relative_space.get(name) == distribution:
            value = self._relative[name]
        else:  # samplers see the trial as created: number, system attributes
            value = self.study.sampler.sample_independent(
                self.study, self._frozen, name, distribution
            )
        kind = type(distribution)
        if kind is FloatDistribution:
            value = float(value)
        elif kind is IntDistribution:
            value = int(value)
        self._params[name] = value
        self._distributions[name] = distribution
        self._pending_params[name] = value
        if self._heartbeat is not None:
            self.flush()
        return value

    # ---- report / prune ------------------------------------------------------------------

    def report(self, value: float, step: int) -> None:
        """Record an intermediate objective value at ``step`` (e.g. the epoch)."""
        if len(self.study.directions) > 1:
            raise TrimtabError(
                "trial.report is for single-objective studies; this study has "
                f"{len(self.study.directions)} objectives"
            )
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step={step!r} must be an integer >= 0")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"value={value!r} reported at step {step} must be a real number"
            ) from None
        step = int(step)
        if step in self._intermediate:
            _logger.warning(
                "trial %d already reported %r at step %d; the new value %r is ignored",
                self.number,
                self._intermediate[step],
                step,
                v,
            )
            return
        if math.isnan(v):
            _logger.warning("trial %d reported NaN at step %d", self.number, step)
        self._intermediate[step] = v
        self._pending_iv[step] = v
        self.flush()

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop now (then raise ``trimtab.TrialPruned``).

        Always False for a run with a budget (``trial.budget``): there the budget stops it.
        """
        self.flush()
        if self._budget is not None:
            return False
        return bool(self.study.pruner.prune(self.study, self._make_snapshot()))

    # ---- budget and checkpoint (the promotion form, see ``trimtab.study._resume``) ----

    @property
    def budget(self) -> int | None:
        """The step to train up to in this run (e.g. epochs), or ``None`` when the study is
        not run with ``checkpoint_root``. Report at steps up to it, save a checkpoint, and
        return the value at this budget."""
        return self._budget

    @property
    def checkpoint_dir(self) -> Path | None:
        """This trial's own directory, ``checkpoint_root / f"trial-{number}"`` (created on
        first access), the same in every run of the trial; ``None`` without
        ``checkpoint_root``. A promoted trial finds there what its earlier run saved."""
        if self._checkpoint_root is None:
            return None
        path = self._checkpoint_root / f"trial-{self.number}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _below_max_budget(self) -> bool:
        """A run with a budget that is not the last: told its value, it pauses."""
        return (
            self._budget is not None
            and self._max_budget is not None
            and self._budget < self._max_budget
        )

    # ---- attributes ----------------------------------------------------------------------

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to this trial (kept in storage)."""
        check_json("user attribute", key, value)
        self._user_attrs[key] = value
        self._pending_user[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """For samplers and integrations; users want ``set_user_attr``."""
        check_json("system attribute", key, value)
        self._system_attrs[key] = value
        self._pending_system[key] = value

    # ---- views ---------------------------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._system_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    @property
    def datetime_start(self) -> Any:
        return self._frozen.datetime_start

    def _make_snapshot(self) -> FrozenTrial:
        """The trial as it is now, as an immutable record."""
        return self._frozen.replace(
            params=self._params,
            distributions=self._distributions,
            intermediate_values=self._intermediate,
            user_attrs=self._user_attrs,
            system_attrs=self._system_attrs,
        )

    # ---- writing -------------------------------------------------------------------------

    def _pending(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self._pending_params:
            out["params"] = self._pending_params
            out["distributions"] = {k: self._distributions[k] for k in self._pending_params}
        if self._pending_iv:
            out["intermediate_values"] = self._pending_iv
        if self._pending_user:
            out["user_attrs"] = self._pending_user
        if self._pending_system:
            out["system_attrs"] = self._pending_system
        return out

    def _clear_pending(self) -> None:
        self._pending_params = {}
        self._pending_iv = {}
        self._pending_user = {}
        self._pending_system = {}

    def flush(self) -> None:
        """Write buffered parameters, reports and attributes to storage now."""
        pending = self._pending()
        if pending and not self._finished:
            self.study._storage.update_trial(self._trial_id, **pending)
            self._clear_pending()

    def _finish(self, **final: Any) -> FrozenTrial:
        pending = self._pending()
        pending.update(final)
        try:
            frozen = self.study._storage.update_trial(self._trial_id, **pending)
        except UpdateFinishedTrialError:  # finished elsewhere (failed for want of heartbeats)
            if self._heartbeat is not None:
                self._heartbeat.stop()
            raise
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self._clear_pending()
        self._finished = True
        return frozen

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"
