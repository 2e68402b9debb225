from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from benchmarks.conditional_spaces import branches

import trimtab
from trimtab.exceptions import TrimtabError
from trimtab.samplers import GPSampler
from trimtab.samplers._gp._acquisition import log_ei_grad, log_h
from trimtab.samplers._gp._model import GP, Hyper, neg_log_posterior
from trimtab.trial import FrozenTrial, TrialState


def quadratic(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1.5) ** 2 + (y + 0.5) ** 2


def test_finds_the_optimum_of_a_2d_quadratic() -> None:
    study = trimtab.create_study(sampler=GPSampler(seed=0))
    study.optimize(quadratic, n_trials=30)
    assert study.best_value < 1e-3
    assert abs(study.best_params["x"] - 1.5) < 0.03
    assert abs(study.best_params["y"] + 0.5) < 0.03


def test_values_respect_bounds_steps_scales_and_choices() -> None:
    def objective(trial: trimtab.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        units = trial.suggest_int("units", 16, 256, step=16)
        layers = trial.suggest_int("layers", 1, 64, log=True)
        drop = trial.suggest_float("drop", 0.0, 0.5, step=0.1)
        act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
        return (
            abs(math.log10(lr) + 3)
            + abs(units - 100) / 100
            + abs(layers - 5)
            + drop
            + (act != "tanh")
        )

    study = trimtab.create_study(sampler=GPSampler(seed=1, n_startup_trials=5))
    study.optimize(objective, n_trials=25)
    for t in study.trials:
        p = t.params
        assert 1e-5 <= p["lr"] <= 1e-1
        assert p["units"] % 16 == 0 and 16 <= p["units"] <= 256
        assert isinstance(p["layers"], int) and 1 <= p["layers"] <= 64
        assert p["drop"] in {0.0, 0.1, 0.2, 0.3, 0.4, 0.5}
        assert p["act"] in {"relu", "tanh", "gelu"}
    assert study.best_value < 1.5  # the model steers toward the optimum (0)
    assert study.best_params["act"] == "tanh"


def test_reproducible_with_a_seed() -> None:
    def params(seed: int) -> list[dict[str, object]]:
        study = trimtab.create_study(sampler=GPSampler(seed=seed, n_startup_trials=4))
        study.optimize(quadratic, n_trials=10)
        return [dict(t.params) for t in study.trials]

    assert params(7) == params(7)
    assert params(7) != params(8)


def test_maximize_and_failed_and_pruned_trials() -> None:
    def objective(trial: trimtab.Trial) -> float:
        value = -quadratic(trial)
        if trial.number % 4 == 1:
            raise RuntimeError("flaky")
        if trial.number % 4 == 2:
            trial.report(value, 0)
            raise trimtab.TrialPruned()
        return value

    study = trimtab.create_study(direction="maximize", sampler=GPSampler(seed=0))
    study.optimize(objective, n_trials=60)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAILED) == 15 and states.count(TrialState.PRUNED) == 15
    assert study.best_value > -0.05


def proposal(trial: FrozenTrial) -> dict[str, object]:
    return dict(trial.system_attrs.get("proposal", {}))


def test_conditional_parameters_are_modelled() -> None:
    study = trimtab.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(branches, n_trials=30)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    for t in study.trials:
        assert ("a_only" in t.params) == (t.params["kind"] == "a")
        assert ("b_only" in t.params) == (t.params["kind"] == "b")
    # after the startup trials the branch's own parameter is the model's proposal, and a
    # parameter the proposed branch does not have is not proposed at all
    for t in study.trials[5:]:
        assert set(proposal(t)) == set(t.params)
    # drawn at random, a_only would rarely come within 0.003 of 0.3 in some 15 draws
    assert study.best_value < 1e-5
    assert abs(study.best_params["a_only"] - 0.3) < 3e-3


def test_nested_and_integer_switched_parameters_are_modelled() -> None:
    def objective(trial: trimtab.Trial) -> float:
        model = trial.suggest_categorical("model", ["svm", "mlp"])
        x = trial.suggest_float("x", 0, 1)  # switches `far` on: not a rule the GP models
        far = trial.suggest_float("far", 0, 1) if x > 0.5 else 0.0
        if model == "svm":
            kernel = trial.suggest_categorical("kernel", ["linear", "rbf"])
            if kernel == "rbf":
                return x + far + abs(trial.suggest_float("gamma", 1e-3, 1, log=True) - 0.1)
            return 1 + x + far
        layers = trial.suggest_int("layers", 1, 3)
        units = [trial.suggest_int(f"units_{i}", 8, 64, log=True) for i in range(layers)]
        return 0.5 + x + far + sum(units) / 1000

    study = trimtab.create_study(sampler=GPSampler(seed=1, n_startup_trials=8))
    study.optimize(objective, n_trials=40)
    modelled = 0
    for t in study.trials[8:]:
        proposed = proposal(t)
        assert "far" not in proposed
        for name in ("model", "x", "kernel", "gamma", "layers", "units_0", "units_1", "units_2"):
            if name in proposed:
                assert name in t.params and t.params[name] == proposed[name]
        # nothing proposed that the trial did not use, except what `far` may leave out
        assert set(proposed) <= set(t.params)
        if t.params["model"] == "svm":
            modelled += "kernel" in proposed
            assert ("gamma" in proposed) == (t.params["kernel"] == "rbf")
            assert "layers" not in proposed
        else:
            modelled += "layers" in proposed
            assert "kernel" not in proposed
            for i in (1, 2):
                # units_1 and units_2 are switched on by layers (seen once the history shows it)
                if f"units_{i}" in proposed:
                    assert t.params["layers"] > i
    assert modelled == len(study.trials) - 8


def test_conditional_pending_trials_and_ask_tell() -> None:
    study = trimtab.create_study(sampler=GPSampler(seed=3, n_startup_trials=5))
    study.optimize(branches, n_trials=12)
    asked = [study.ask() for _ in range(4)]  # each sees the others as pending
    values = [branches(t) for t in asked]
    for t, v in zip(asked, values, strict=True):
        study.tell(t, v)
    params = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(params)) == len(params)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_ask_tell_and_pending_trials_are_avoided() -> None:
    def gap_between_two_asks(first_pending: bool) -> float:
        study = trimtab.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
        for _ in range(6):
            trial = study.ask()
            study.tell(trial, quadratic(trial))
        first = study.ask()
        quadratic(first)
        if not first_pending:  # a failed trial is neither modelled nor pending
            study.tell(first, state=TrialState.FAILED)
        second = study.ask()
        quadratic(second)
        assert len(study.trials) == 8
        return sum(abs(first.params[k] - second.params[k]) for k in ("x", "y"))

    # the second ask sees the first as pending (a fantasy at the posterior mean) and moves
    # away from it; without the pending trial it proposes (nearly) the same point again
    pending, alone = gap_between_two_asks(True), gap_between_two_asks(False)
    assert pending > 1e-2
    assert alone < pending / 100


def test_noisy_objective() -> None:
    rng = random.Random(0)

    def objective(trial: trimtab.Trial) -> float:
        return quadratic(trial) + rng.gauss(0.0, 0.5)

    study = trimtab.create_study(sampler=GPSampler(seed=0))
    study.optimize(objective, n_trials=40)
    # judge by the noise-free value of the proposals: most later ones are near the optimum
    late = study.trials[-10:]
    true = sorted((t.params["x"] - 1.5) ** 2 + (t.params["y"] + 0.5) ** 2 for t in late)
    assert true[5] < 0.5


def test_several_objectives_are_refused_before_any_trial_starts() -> None:
    study = trimtab.create_study(directions=["minimize", "minimize"], sampler=GPSampler())
    with pytest.raises(TrimtabError, match="one objective; this study has 2"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    assert study.trials == []


def test_bad_arguments() -> None:
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="n_startup_trials"):
            GPSampler(n_startup_trials=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_warping='yes' must be True, False or 'log'"):
        GPSampler(input_warping="yes")  # type: ignore[arg-type]


def valley(trial: trimtab.Trial) -> float:
    """Flat over most of a log range, with a narrow valley near its top (as an SVM's error
    in C and gamma): the variation a stationary kernel on the raw inputs fits badly."""
    c = math.log10(trial.suggest_float("c", 1e-3, 1e3, log=True))
    g = trial.suggest_float("g", 0.0, 1.0)
    return 1.0 - math.exp(-(((c - 2.2) / 0.3) ** 2)) + (g - 0.3) ** 2


def test_input_warping_is_fitted_and_finds_a_narrow_valley() -> None:
    sampler = GPSampler(seed=0, input_warping=True)
    study = trimtab.create_study(sampler=sampler)
    study.optimize(valley, n_trials=40)
    assert study.best_value < 1e-3  # optimum 0 at c = 10**2.2, g = 0.3
    for t in study.trials:
        assert 1e-3 <= t.params["c"] <= 1e3 and 0.0 <= t.params["g"] <= 1.0
    warp = sampler._memo(study).last.warp  # log a, log b per input
    assert warp is not None and np.abs(warp[:, 0]).max() > 0.3  # c's range is reshaped
    # the same seed and history give the same proposals
    again = trimtab.create_study(sampler=GPSampler(seed=0, input_warping=True))
    again.optimize(valley, n_trials=15)
    assert [t.params for t in again.trials] == [t.params for t in study.trials[:15]]


def test_input_warping_on_mixed_spaces_and_the_2d_quadratic() -> None:
    study = trimtab.create_study(sampler=GPSampler(seed=0, input_warping=True))
    study.optimize(quadratic, n_trials=30)
    assert study.best_value < 1e-3

    def mixed(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        n = trial.suggest_int("n", 1, 64, log=True)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        return (x - 1.0) ** 2 + abs(math.log2(n) - 3) + (kind != "b")

    study = trimtab.create_study(sampler=GPSampler(seed=1, input_warping=True))
    study.optimize(mixed, n_trials=30)
    assert study.best_value < 0.1 and study.best_params["kind"] == "b"
    warp = study.sampler._memo(study).last.warp  # type: ignore[attr-defined]
    assert warp is not None and (warp[:, 2] == 0.0).all()  # the categorical input: not warped


def test_log_warping_warps_only_the_log_parameters_and_is_the_default() -> None:
    """``input_warping="log"`` (the default): the log-scale input is reshaped, the linear one
    is not; and a space without log parameters gets exactly the unwarped GP's proposals."""
    sampler = GPSampler(seed=0)
    study = trimtab.create_study(sampler=sampler)
    study.optimize(valley, n_trials=40)
    assert study.best_value < 1e-3
    last = sampler._memo(study).last
    assert last.warp is not None and last.warp_cols is not None
    assert list(last.warp_cols) == [True, False]  # c is log=True, g is not
    assert np.abs(last.warp[:, 0]).max() > 0.3 and (last.warp[:, 1] == 0.0).all()
    explicit = trimtab.create_study(sampler=GPSampler(seed=0, input_warping="log"))
    explicit.optimize(valley, n_trials=40)
    assert [t.params for t in explicit.trials] == [t.params for t in study.trials]
    unwarped = trimtab.create_study(sampler=GPSampler(seed=0, input_warping=False))
    unwarped.optimize(valley, n_trials=40)
    assert [t.params for t in unwarped.trials][10:] != [t.params for t in study.trials][10:]

    plain = trimtab.create_study(sampler=GPSampler(seed=3, input_warping=False))
    plain.optimize(quadratic, n_trials=15)
    logw = trimtab.create_study(sampler=GPSampler(seed=3, input_warping="log"))
    logw.optimize(quadratic, n_trials=15)
    assert [t.params for t in logw.trials] == [t.params for t in plain.trials]
    assert logw.sampler._memo(logw).last.warp is None  # type: ignore[attr-defined]


def test_log_warping_stops_beyond_four_inputs_unless_asked_for() -> None:
    """The default warps the log parameters of a model of up to four inputs only; with five
    it is the unwarped GP exactly, and ``input_warping=True`` still warps."""

    def log_sum(n: int) -> Callable[[trimtab.Trial], float]:
        def objective(trial: trimtab.Trial) -> float:
            return sum(
                (math.log10(trial.suggest_float(f"x{i}", 1e-4, 1e2, log=True)) - i % 3 + 1) ** 2
                for i in range(n)
            )

        return objective

    def run(n: int, **kw: Any) -> tuple[list[dict[str, Any]], Any]:
        sampler = GPSampler(seed=0, n_startup_trials=8, **kw)
        study = trimtab.create_study(sampler=sampler)
        study.optimize(log_sum(n), n_trials=12)
        return [dict(t.params) for t in study.trials], sampler._memo(study).last

    _, fit4 = run(4)
    assert fit4.warp is not None and list(fit4.warp_cols) == [True] * 4
    five, fit5 = run(5)
    assert fit5.warp is None
    assert five == run(5, input_warping=False)[0]
    assert run(5, input_warping=True)[1].warp is not None


def test_two_processes_share_one_sqlite_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gp.db'}"
    trimtab.create_study(study_name="gp", storage=url)
    worker = Path(__file__).with_name("_gp_worker.py")
    procs = [subprocess.Popen([sys.executable, str(worker), url]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    trials = trimtab.load_study(study_name="gp", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert min(t.value for t in trials if t.value is not None) < 0.05


# ---- the numerics the sampler relies on --------------------------------------------------


def test_log_h_is_accurate_and_finite_far_below_the_incumbent() -> None:
    from scipy.stats import norm

    z = np.array([-5.0, -2.0, -1.0, -0.5, 0.0, 1.0, 3.0])
    direct = np.log(norm.pdf(z) + z * norm.cdf(z))
    assert np.allclose(log_h(z), direct, rtol=1e-9, atol=1e-12)
    far = log_h(np.array([-40.0, -1e3, -1e9]))
    assert np.all(np.isfinite(far)) and far[0] > far[1] > far[2]
    # asymptotically log h(z) ~ -z^2/2 - log(2 pi)/2 - 2 log|z|
    assert abs(far[1] - (-0.5e6 - 0.5 * math.log(2 * math.pi) - 2 * math.log(1e3))) < 1e-3


def _problem(seed: int, cat: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((15, 3))
    is_cat = np.array([False, False, cat])
    if cat:
        x[:, 2] = rng.integers(0, 3, size=15)
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 + 0.3 * x[:, 2]
    return x, (y - y.mean()) / y.std(), is_cat


@pytest.mark.parametrize("warped", [False, True, "first"])
@pytest.mark.parametrize("cat", [False, True])
def test_marginal_likelihood_gradient_matches_finite_differences(
    cat: bool, warped: bool | str
) -> None:
    x, y, is_cat = _problem(0, cat)
    v = np.array([-0.7, 0.2, -0.1, 0.3, -3.0])
    # "first": only input 0 warped (as input_warping="log" with one log parameter)
    cols = np.array([True, False, False]) if warped == "first" else None
    if warped:  # log a and log b of each input (a categorical input's stay 0)
        warp = [0.3, -0.4, 0.0 if cat else 0.2, -0.2, 0.5, 0.0 if cat else -0.3]
        v = np.concatenate([v[:3], warp, v[3:]])
    on = bool(warped)
    _, grad = neg_log_posterior(v, x, y, is_cat, False, on, cols)
    for i in range(len(v)):
        e = np.zeros_like(v)
        e[i] = 1e-6
        fd = (
            neg_log_posterior(v + e, x, y, is_cat, False, on, cols)[0]
            - neg_log_posterior(v - e, x, y, is_cat, False, on, cols)[0]
        ) / 2e-6
        if cols is not None and 3 <= i < 9 and i % 3 != 0:
            continue  # an unwarped input's shapes: held at 0 by their bounds, no gradient
        assert grad[i] == pytest.approx(fd, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("warped", [False, True, "first"])
def test_log_ei_gradient_matches_finite_differences(warped: bool | str) -> None:
    x, y, is_cat = _problem(1, True)
    warp = np.array([[0.4, -0.6, 0.0], [-0.3, 0.7, 0.0]]) if warped else None
    cols = np.array([True, False, False]) if warped == "first" else None
    if cols is not None:
        assert warp is not None
        warp[:, 1] = 0.0  # an unwarped input's shapes are 0
    gp = GP(x, y, is_cat, Hyper(np.array([-1.0, -0.5, 0.0]), 0.0, -6.0, warp, cols))
    xs = np.array([[0.3, 0.7, 1.0], [0.9, 0.1, 2.0]])
    best = float(y.max()) + 0.5  # well above: exercises the small-EI branch too
    _, grad = log_ei_grad(gp, xs, best)
    for d in (0, 1):
        e = np.zeros_like(xs)
        e[:, d] = 1e-6
        fd = (log_ei_grad(gp, xs + e, best)[0] - log_ei_grad(gp, xs - e, best)[0]) / 2e-6
        assert np.allclose(grad[:, d], fd, rtol=1e-4, atol=1e-6)
    assert np.all(grad[:, 2] == 0.0)  # categorical inputs are not differentiated


def test_batched_lbfgsb_runs_are_those_of_separate_runs() -> None:
    from scipy.optimize import minimize

    from trimtab.samplers._gp._batched import minimize_batched, one_by_one

    centres = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.3], [1.4, -0.2, 0.6], [0.5, 0.5, 0.5]])

    def f(x: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray]:
        d = x - c
        return float((d**2).sum() + np.sin(5 * x).sum()), 2 * d + 5 * np.cos(5 * x)

    def batch(ids: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = [f(x, centres[i]) for i, x in zip(ids, xs, strict=True)]
        return np.array([v for v, _ in out]), np.array([g for _, g in out])

    x0s = np.random.default_rng(0).random((4, 3))
    bounds = [(0.0, 1.0)] * 3
    got = minimize_batched(batch, x0s, bounds)
    # the fallback without greenlet: the same runs one after another
    np.testing.assert_array_equal(one_by_one(batch, x0s, bounds), got)
    for i in range(4):
        alone = minimize(f, x0s[i], args=(centres[i],), jac=True, method="L-BFGS-B", bounds=bounds)
        np.testing.assert_array_equal(got[i], alone.x)  # the same run, step for step
    assert ((got >= 0.0) & (got <= 1.0)).all()

    def broken(ids: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise FloatingPointError("boom")

    with pytest.raises(FloatingPointError, match="boom"):
        minimize_batched(broken, x0s, bounds)
