"""``AutoSampler``: the default strategy, chosen trial by trial from what the study shows.

- Several objectives: NSGA-II (Deb et al. 2002).
- One objective, the first ``n_startup_trials`` finished trials: random search.
- Then Gaussian-process Bayesian optimisation with LogEI while the space is small (at most
  ``gp_max_params`` parameters in all, counting every conditional one) and fewer than
  ``gp_max_trials`` trials have finished: where a GP is the most sample-efficient model and its
  cubic cost is still small. Conditional spaces included: the GP models a parameter that only
  some trials have once the history shows which categorical or integer parameter switches it
  on (on the suite's ``conditional`` problem, median regret 0.24 against TPE's 0.60 at 50-200
  trials; docs/benchmarks.md). The GP fits a warping (Kumaraswamy CDF; Snoek et al. 2014) to
  each parameter declared ``log=True``, on spaces of up to four (``GPSampler``): a learning
  rate or a regularisation strength spans decades, and the log scale is only a first guess at
  where its response is flat or steep. On the 13 real tasks of the suite, all of whose
  parameters but two are on a log scale, this (with ``GPSampler``'s own default warping alike)
  moved the default's mean rank among 15 methods from 5.38 / 5.65 / 6.04 to 3.38 / 4.42 /
  5.73 at 50 / 100 / 200 trials; spaces without a log parameter get the unwarped GP exactly
  (docs/benchmarks.md, "Where the criteria stand at the end of session 17").
- Unless the space has branches: when ``gp_noisy_max_trials`` trials have finished and the
  history shows a categorical parameter switching others on (a model choice), TPE takes over,
  whose MaxUCB picks the branch of each trial by the best values the branches have reached
  (``_branches``). The GP's expected improvement over a branch choice settles on one branch
  and keeps it: on the suite's ``conditional`` problem it ends on the Branin branch, the
  optimum's, on 3 of 10 seeds at 100 trials and still 3 at 200; handed over at 100, all 10
  reach it by 200 (median regret 0.239 -> 0.0016; docs/benchmarks.md, "Branch choice by
  MaxUCB"). Recorded as below, with the switches found.
- Unless the objective looks noisy: when ``gp_noisy_max_trials`` trials have finished, the GP's
  latest fit is consulted once, and if its noise variance (of the warped, standardised
  objective) exceeds ``NOISY`` (1e-3: a tenth of a percent of the variance left unexplained),
  TPE takes over. Smooth deterministic functions fit with noise near the floor (1e-8) and keep
  the GP, which goes on refining their optimum; cross-validated accuracies (steps of one
  misclassified example), boosted trees' scores and some rugged landscapes fit 1e-3 to 1e-1,
  and there a GP's edge, interpolating a smooth surface, is spent by then, while TPE's density
  model keeps sampling densely around the good region (docs/benchmarks.md, "The default's
  handover to TPE"). The decision is stored in the study (system attribute ``auto:handover``: the
  trial count, the noise variance and the choice; the first worker to claim the decision makes
  it), so every worker follows the same one.
- Otherwise TPE (large spaces, long studies), multivariate and grouped (for conditional
  spaces), with the constant liar so parallel workers spread out, and the good group's
  minimum kernel width from its trial count with equal values pooled rather than from its EI
  weights' effective size (TPESampler's own rule): taking over a GP's history, whose EI weight
  sits on a few refined best points, the weights' rule widens the kernels out of the region the
  GP refined (on the real tasks at 200 trials, ``mlp_diabetes`` better on 7 of 10 seeds and
  worse on 1 with the counts; docs/benchmarks.md, "The default's TPE phase").

The choice is recorded on every trial (system attribute ``auto:sampler``) and derived from
stored trials and the study's ``auto:handover`` only, so every worker chooses alike and a
study shows which strategy proposed each of its trials and why. Nothing heavy is imported
until a strategy is first used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from trimtab.distributions import BaseDistribution
from trimtab.samplers._base import BaseSampler, Reservation, StudyCache
from trimtab.samplers._random import RandomSampler
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.samplers._branches import Switches
    from trimtab.samplers._gp import GPSampler
    from trimtab.study import Study

CHOICE_ATTR = "auto:sampler"
HANDOVER_ATTR = "auto:handover"
NOISY = 1e-3
RANDOM, GP, TPE, NSGA2 = "RandomSampler", "GPSampler", "TPESampler", "NSGAIISampler"


class _Shape:
    """Per study, updated one finished trial at a time: how many finished, which parameters
    were seen."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.names: set[str] = set()  # every parameter of a finished trial
        self.handover: str | None = None  # GP or TPE once decided (see the module docstring)


def _switches() -> Switches:
    from trimtab.samplers._branches import Switches  # NumPy: imported once a study needs it

    return Switches()


class AutoSampler(BaseSampler):
    """Picks GP, TPE or NSGA-II per trial (see the module docstring); ``seed`` seeds all.

    ``gp_input_warping`` is the GP phase's ``GPSampler(input_warping=...)``: by default
    ``"log"``, a warping fitted to each parameter declared ``log=True`` and to no other
    (``False`` for none, ``True`` for every numeric one)."""

    def __init__(
        self,
        *,
        n_startup_trials: int = 10,
        gp_max_trials: int = 300,
        gp_noisy_max_trials: int = 100,
        gp_max_params: int = 16,
        gp_input_warping: bool | Literal["log"] = "log",
        seed: int | None = None,
    ) -> None:
        for arg, value, low in (
            ("n_startup_trials", n_startup_trials, 1),
            ("gp_max_trials", gp_max_trials, 0),
            ("gp_noisy_max_trials", gp_noisy_max_trials, 0),
            ("gp_max_params", gp_max_params, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{arg}={value!r} must be an integer >= {low}")
        self._n_startup = n_startup_trials
        self._gp_max_trials = gp_max_trials
        self._gp_noisy_max_trials = gp_noisy_max_trials
        self._gp_max_params = gp_max_params
        if not (isinstance(gp_input_warping, bool) or gp_input_warping == "log"):
            raise ValueError(f"gp_input_warping={gp_input_warping!r} must be True, False or 'log'")
        self._gp_warping = gp_input_warping
        self._random = RandomSampler(seed=seed)
        self._seed = self._random.seed
        self._samplers: dict[str, BaseSampler] = {RANDOM: self._random}
        self._shapes: StudyCache[_Shape] = StudyCache(_Shape)
        self._branches: StudyCache[Switches] = StudyCache(_switches)

    def reseed_rng(self) -> None:
        for sampler in self._samplers.values():
            sampler.reseed_rng()

    # ---- the choice ----------------------------------------------------------------------

    def choose(self, study: Study) -> str:
        """The strategy the next trial of ``study`` gets (a sampler class name)."""
        if len(study.directions) > 1:
            return NSGA2
        shape = self._shapes(study)
        for t in study.get_trials((TrialState.COMPLETE,)):
            if t.trial_id in shape.seen:
                continue
            shape.seen.add(t.trial_id)
            shape.names.update(k for k, d in t.distributions.items() if not d.single())
        n = len(shape.seen)
        if n < self._n_startup:
            return RANDOM
        if n >= self._gp_max_trials or len(shape.names) > self._gp_max_params:
            return TPE
        if n >= self._gp_noisy_max_trials:
            return self._handover(study, shape, n)
        return GP

    def _handover(self, study: Study, shape: _Shape, n: int) -> str:
        """GP or TPE from the branches of the space or the GP's fitted noise, decided once per
        study (module docstring)."""
        if shape.handover is None:
            recorded = study.system_attrs.get(HANDOVER_ATTR)
            if isinstance(recorded, dict) and recorded.get("choice") in (GP, TPE):
                shape.handover = str(recorded["choice"])
            else:
                record: dict[str, Any]
                switches = self._branches(study).update(study)  # read incrementally
                if switches:  # branches: TPE's choice of them by MaxUCB from now on
                    choice, record = TPE, {"switches": sorted(switches)}
                else:
                    gp = cast("GPSampler | None", self._samplers.get(GP))
                    noise = None if gp is None else gp.noise_variance(study)
                    if noise is None:  # no fit in this process yet: the GP fits with this trial
                        return GP
                    choice, record = (TPE if noise > NOISY else GP), {"noise_variance": noise}
                # one worker decides: two deciding at once could fit different noises and
                # part ways; the one that claims the key first records its choice
                if not study._storage.claim(study._study_id, HANDOVER_ATTR):
                    recorded = study.system_attrs.get(HANDOVER_ATTR)
                    if not (isinstance(recorded, dict) and recorded.get("choice") in (GP, TPE)):
                        return GP  # being recorded right now: ask again next trial
                    shape.handover = str(recorded["choice"])
                    return shape.handover
                shape.handover = choice
                study.set_system_attr(
                    HANDOVER_ATTR, {"after_trials": n, **record, "choice": choice}
                )
        return shape.handover

    def _sampler(self, name: str) -> BaseSampler:
        sampler = self._samplers.get(name)
        if sampler is None:
            from trimtab import samplers

            seed = self._seed
            if name == GP:
                sampler = samplers.GPSampler(
                    n_startup_trials=1, input_warping=self._gp_warping, seed=seed
                )
            elif name == TPE:
                tpe = samplers.TPESampler(
                    n_startup_trials=2, group=True, constant_liar=True, seed=seed
                )
                # after the GP phase the EI weight sits on the GP's refined best points:
                # kernel widths from the pooled counts, not the weights (see _tpe._sampler)
                tpe._floor_from_weights = False
                sampler = tpe
            else:
                sampler = samplers.NSGAIISampler(seed=seed)
            self._samplers[name] = sampler
        return sampler

    def _of(self, trial: FrozenTrial) -> BaseSampler:
        name = trial.system_attrs.get(CHOICE_ATTR)
        return self._sampler(name if name in (RANDOM, GP, TPE, NSGA2) else RANDOM)

    # ---- the contract, delegated ---------------------------------------------------------

    def reserve(self, study: Study, conflict: bool = False) -> Reservation | None:
        return self._sampler(self.choose(study)).reserve(study, conflict)

    def before_trial(self, study: Study, trial: FrozenTrial) -> Mapping[str, Any] | None:
        name = self.choose(study)
        sampler = self._sampler(name)
        marked = trial.replace(system_attrs={**trial.system_attrs, CHOICE_ATTR: name})
        extra = sampler.before_trial(study, marked)
        return {CHOICE_ATTR: name, **(extra or {})}

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._of(trial).infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._of(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return self._of(trial).sample_independent(study, trial, name, distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> Mapping[str, Any] | None:
        return self._of(trial).after_trial(study, trial, state, values)
