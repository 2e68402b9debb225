"""Studies through the public API, on memory and SQLite."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import trimtab
from trimtab import TrialState
from trimtab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from trimtab.exceptions import (
    DuplicatedStudyError,
    SearchSpaceExhausted,
    StudyNotFoundError,
    TrimtabError,
    UpdateFinishedTrialError,
)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return None if request.param == "memory" else f"sqlite:///{tmp_path / 'runs.db'}"


def mlp_objective(trial: trimtab.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    width = trial.suggest_int("width", 16, 256, step=16)
    act = trial.suggest_categorical("activation", ["relu", "tanh"])
    loss = abs(math.log10(lr) + 3) + layers * 0.1 + width / 1000
    if act == "relu":
        loss += trial.suggest_float("slope", 0.0, 0.3)
    return loss


def test_the_issue_example_end_to_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    seen: list[int] = []
    study = trimtab.create_study(
        study_name="mlp",
        storage=url,
        load_if_exists=True,
        direction="minimize",
        sampler=trimtab.samplers.RandomSampler(seed=0),
    )
    study.enqueue_trial({"lr": 1e-3, "layers": 2})
    study.optimize(
        mlp_objective, n_trials=20, timeout=600, callbacks=[lambda s, t: seen.append(t.number)]
    )
    assert seen == list(range(20))
    first = study.trials[0]
    assert first.params["lr"] == 1e-3 and first.params["layers"] == 2
    for t in study.trials:
        assert 1e-5 <= t.params["lr"] <= 1e-1
        assert t.params["width"] % 16 == 0 and 16 <= t.params["width"] <= 256
        assert ("slope" in t.params) == (t.params["activation"] == "relu")
        assert t.distributions["width"] == IntDistribution(16, 256, step=16)
    best = min(study.trials, key=lambda t: t.value or math.inf)
    assert study.best_trial == best
    assert study.best_value == best.value and study.best_params == dict(best.params)
    t = study.ask()
    study.tell(t, 0.37)
    t = study.ask()
    study.tell(t, state=TrialState.FAILED)
    again = trimtab.load_study(study_name="mlp", storage=url, sampler=None, pruner=None)
    states = [t.state for t in again.trials]
    assert states == [TrialState.COMPLETE] * 21 + [TrialState.FAILED]
    assert again.trials[20].value == 0.37


def test_maximize(url: Any) -> None:
    study = trimtab.create_study(storage=url, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert study.best_value == max(t.value for t in study.trials if t.value is not None)
    assert study.direction == trimtab.StudyDirection.MAXIMIZE


def test_several_objectives_are_stored_and_the_pareto_front_returned(url: Any) -> None:
    study = trimtab.create_study(storage=url, directions=["minimize", "maximize"])
    points = [(1.0, 1.0), (2.0, 3.0), (2.0, 2.0), (0.5, 0.0), (3.0, 3.0), (1.0, 1.0)]
    for p in points:
        study.tell(study.ask(), p)
    front = study.best_trials
    assert sorted(t.values for t in front) == [(0.5, 0.0), (1.0, 1.0), (1.0, 1.0), (2.0, 3.0)]
    with pytest.raises(TrimtabError, match=r"has 2 objectives; use study.directions"):
        study.direction  # noqa: B018
    with pytest.raises(TrimtabError):
        study.best_trial  # noqa: B018
    with pytest.raises(TrimtabError, match="single-objective"):
        study.ask().report(1.0, 0)


def test_wrong_number_of_values_fails_the_trial_and_goes_on(url: Any) -> None:
    study = trimtab.create_study(storage=url, directions=["minimize", "minimize"])
    study.optimize(lambda t: 1.0, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 2
    assert "returned 1 value(s)" in study.trials[0].fail_reason["message"]


@pytest.mark.parametrize(
    ("result", "fragment"),
    [
        (math.nan, "returned nan; values must be finite"),
        (math.inf, "returned inf"),
        (None, "returned None"),
        ("0.3", "of type str"),
        ((1.0, 2.0), "returned 2 value(s)"),
    ],
)
def test_bad_objective_values_fail_the_trial_with_the_reason(
    url: Any, result: Any, fragment: str
) -> None:
    study = trimtab.create_study(storage=url)
    study.optimize(lambda t: result, n_trials=1)
    study.optimize(lambda t: 1.0, n_trials=1)
    failed, ok = study.trials
    assert failed.state == TrialState.FAILED and failed.values is None
    assert fragment in failed.fail_reason["message"]
    assert ok.state == TrialState.COMPLETE


def test_numpy_values_are_accepted(url: Any) -> None:
    np = pytest.importorskip("numpy")
    study = trimtab.create_study(storage=url, directions=["minimize", "minimize"])
    study.optimize(lambda t: np.array([1.0, 2.0]), n_trials=1)
    study.tell(study.ask(), [np.float32(1.5), np.int64(2)])
    assert [t.values for t in study.trials] == [(1.0, 2.0), (1.5, 2.0)]


def test_exceptions_fail_the_trial_keep_the_traceback_and_the_study_goes_on(url: Any) -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise RuntimeError("diverged")
        return x

    study = trimtab.create_study(storage=url)
    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAILED, TrialState.COMPLETE]
    reason = study.trials[1].fail_reason
    assert reason["type"] == "RuntimeError" and reason["message"] == "diverged"
    assert "raise RuntimeError" in reason["traceback"]
    assert "x" in study.trials[1].params  # what it tried is kept


def test_catch_decides_which_exceptions_end_optimize(url: Any) -> None:
    def objective(trial: trimtab.Trial) -> float:
        raise KeyError("boom")

    study = trimtab.create_study(storage=url)
    with pytest.raises(KeyError):
        study.optimize(objective, n_trials=3, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAILED]
    study.optimize(objective, n_trials=2, catch=KeyError)
    assert len(study.trials) == 3


def test_keyboard_interrupt_ends_optimize_cleanly(url: Any) -> None:
    def objective(trial: trimtab.Trial) -> float:
        if trial.number == 2:
            raise KeyboardInterrupt
        return trial.suggest_float("x", 0, 1)

    study = trimtab.create_study(storage=url)
    study.optimize(objective, n_trials=10)  # returns; does not raise
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAILED]
    assert study.trials[2].fail_reason["type"] == "KeyboardInterrupt"


def test_keyboard_interrupt_in_a_callback_keeps_the_told_trial(url: Any) -> None:
    def interrupt(s: trimtab.Study, t: trimtab.FrozenTrial) -> None:
        raise KeyboardInterrupt

    study = trimtab.create_study(storage=url)
    study.optimize(lambda t: 1.0, n_trials=5, callbacks=[interrupt])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]


def test_pruned_trials_keep_their_last_reported_value(url: Any) -> None:
    def objective(trial: trimtab.Trial) -> float:
        for step in range(3):
            trial.report(1.0 / (step + 1), step)
        raise trimtab.TrialPruned()

    study = trimtab.create_study(storage=url)
    study.optimize(objective, n_trials=1)
    (t,) = study.trials
    assert t.state == TrialState.PRUNED
    assert t.intermediate_values == {0: 1.0, 1: 0.5, 2: 1 / 3}
    assert t.value == 1 / 3 and t.last_step == 2
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        study.best_trial  # noqa: B018


def test_reports_are_visible_to_other_readers_while_running(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    study = trimtab.create_study(study_name="s", storage=url)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(0.5, 0)
    other = trimtab.load_study(study_name="s", storage=url)
    (seen,) = other.trials
    assert seen.state == TrialState.RUNNING and seen.intermediate_values == {0: 0.5}
    assert "x" in seen.params


def test_report_checks_its_arguments(url: Any) -> None:
    trial = trimtab.create_study(storage=url).ask()
    with pytest.raises(ValueError, match="step=-1 must be an integer >= 0"):
        trial.report(1.0, -1)
    with pytest.raises(ValueError, match=r"step=1.5"):
        trial.report(1.0, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="value='a' reported at step 0 must be a real number"):
        trial.report("a", 0)  # type: ignore[arg-type]
    trial.report(1.0, 0)
    trial.report(2.0, 0)  # ignored with a warning: the first report stays
    assert trial.intermediate_values == {0: 1.0}


def test_should_prune_asks_the_pruner_with_stored_reports(url: Any) -> None:
    seen: list[dict[int, float]] = []

    class StopAtTwo(trimtab.pruners.BasePruner):
        def prune(self, study: trimtab.Study, trial: trimtab.FrozenTrial) -> bool:
            stored = study.storage.get_trial(trial.trial_id)
            seen.append(dict(stored.intermediate_values))
            return len(trial.intermediate_values) >= 2

    def objective(trial: trimtab.Trial) -> float:
        for step in range(5):
            trial.report(float(step), step)
            if trial.should_prune():
                raise trimtab.TrialPruned()
        return 0.0

    study = trimtab.create_study(storage=url, pruner=StopAtTwo())
    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert seen == [{0: 0.0}, {0: 0.0, 1: 1.0}]


def test_same_name_same_distribution_returns_the_same_value(url: Any) -> None:
    trial = trimtab.create_study(storage=url).ask()
    assert trial.suggest_float("x", 0, 1) == trial.suggest_float("x", 0, 1)
    with pytest.raises(
        ValueError,
        match="parameter 'x' was already suggested in trial 0 as "
        r"FloatDistribution\(low=0.0, high=1.0",
    ):
        trial.suggest_float("x", 0, 2)
    with pytest.raises(ValueError, match="already suggested"):
        trial.suggest_int("x", 0, 1)


def test_suggest_errors_name_the_parameter(url: Any) -> None:
    trial = trimtab.create_study(storage=url).ask()
    with pytest.raises(ValueError, match=r"suggest_float\('lr'\): low=0.1 must be <= high=0.01"):
        trial.suggest_float("lr", 0.1, 0.01)
    with pytest.raises(ValueError, match=r"suggest_float\('lr'\): low=0.0 must be > 0 when log"):
        trial.suggest_float("lr", 0.0, 1.0, log=True)
    with pytest.raises(ValueError, match=r"suggest_int\('width'\): step=16 must divide"):
        trial.suggest_int("width", 16, 250, step=16)
    with pytest.raises(ValueError, match=r"suggest_categorical\('act'\): choices=\[\] must"):
        trial.suggest_categorical("act", [])
    with pytest.raises(ValueError, match=r"suggest_categorical\('act'\): choices\[0\]="):
        trial.suggest_categorical("act", [print])  # type: ignore[list-item]


def test_declarative_distributions_and_fixed_distributions(url: Any) -> None:
    space = {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "opt": CategoricalDistribution(["sgd", "adam"]),
        "epochs": IntDistribution(1, 9, step=2),
    }
    study = trimtab.create_study(storage=url)
    trial = study.ask(space)
    assert set(trial.params) == set(space)
    assert trial.suggest("opt", space["opt"]) == trial.params["opt"]
    study.tell(trial, 1.0)
    assert study.trials[0].distributions == space


def test_enqueued_values_outside_the_distribution_fail_the_trial(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.enqueue_trial({"layers": 7})
    study.optimize(lambda t: t.suggest_int("layers", 1, 4), n_trials=1)
    (t,) = study.trials
    assert t.state == TrialState.FAILED
    assert (
        "enqueued value 7 for parameter 'layers' is not an integer in [1, 4]"
        in (t.fail_reason["message"])
    )


def test_enqueue_skip_if_exists_and_user_attrs(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.enqueue_trial({"x": 0.5}, user_attrs={"why": "baseline"})
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert [t.state for t in study.trials] == [TrialState.WAITING]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 1
    assert study.trials[0].user_attrs == {"why": "baseline"}
    with pytest.raises(ValueError, match=r"parameter 'x'=<object.*JSON-serialisable"):
        study.enqueue_trial({"x": object()})
    with pytest.raises(ValueError, match="must be a mapping"):
        study.enqueue_trial([("x", 1)])  # type: ignore[arg-type]


def test_enqueued_categorical_values_become_the_choice(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.enqueue_trial({"c": 1})
    study.optimize(lambda t: float(t.suggest_categorical("c", [1.0, 2.0])), n_trials=1)
    value = study.trials[0].params["c"]
    assert value == 1.0 and isinstance(value, float)


@pytest.mark.slow
def test_enqueue_skip_if_exists_is_atomic_across_processes(sql_url: str) -> None:
    import subprocess
    import sys
    import time

    url = sql_url
    trimtab.create_study(study_name="s", storage=url)
    start = time.time() + 1.5
    code = (
        "import time, sys, trimtab; s = trimtab.load_study(study_name='s', storage=sys.argv[1]);"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()));"
        "s.enqueue_trial({'x': 1}, skip_if_exists=True)"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, url, str(start)]) for _ in range(5)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 5
    assert len(trimtab.load_study(study_name="s", storage=url).trials) == 1


def test_tell_twice_is_an_error_and_loses_nothing(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    t = study.ask()
    study.tell(t, 1.0)
    with pytest.raises(UpdateFinishedTrialError, match="trial 0 is already COMPLETE"):
        study.tell(t, 2.0)
    assert study.tell(t, 2.0, skip_if_finished=True).value == 1.0
    assert study.trials[0].value == 1.0


def test_tell_by_number_and_state_checks(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.ask()
    study.tell(0, 0.5)
    assert study.trials[0].value == 0.5
    with pytest.raises(ValueError, match="trial number 5 does not exist"):
        study.tell(5, 1.0)
    t = study.ask()
    with pytest.raises(ValueError, match=r"state=TrialState.RUNNING cannot end a trial"):
        study.tell(t, state=TrialState.RUNNING)
    study.tell(t, state=TrialState.PRUNED)
    assert study.trials[1].state == TrialState.PRUNED and study.trials[1].values is None


def test_create_and_load_errors(url: Any, tmp_path: Path) -> None:
    storage = trimtab.storages.get_storage(url)
    trimtab.create_study(study_name="a", storage=storage)
    with pytest.raises(DuplicatedStudyError, match="study_name='a' already exists"):
        trimtab.create_study(study_name="a", storage=storage)
    with pytest.raises(StudyNotFoundError, match=r"study_name='b' does not exist.*'a'"):
        trimtab.load_study(study_name="b", storage=storage)
    with pytest.raises(ValueError, match="direction='minimise' is not a direction; allowed"):
        trimtab.create_study(direction="minimise")
    with pytest.raises(ValueError, match="directions entry='up'"):
        trimtab.create_study(directions=["minimize", "up"])
    with pytest.raises(ValueError, match="not both"):
        trimtab.create_study(direction="minimize", directions=["minimize"])
    with pytest.raises(ValueError, match="exists with directions \\['minimize'\\]"):
        trimtab.create_study(
            study_name="a", storage=storage, direction="maximize", load_if_exists=True
        )
    with pytest.raises(TypeError, match=r"sampler='random' must be a trimtab.samplers"):
        trimtab.create_study(sampler="random")  # type: ignore[arg-type]


def test_load_study_without_a_name_needs_exactly_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    trimtab.create_study(study_name="only", storage=url)
    assert trimtab.load_study(study_name=None, storage=url).study_name == "only"
    trimtab.create_study(study_name="second", storage=url)
    with pytest.raises(ValueError, match="exactly one study; it has 2"):
        trimtab.load_study(study_name=None, storage=url)


def test_optimize_checks_its_arguments() -> None:
    study = trimtab.create_study()
    with pytest.raises(ValueError, match="n_trials=-1 must be an integer >= 0"):
        study.optimize(lambda t: 0.0, n_trials=-1)
    with pytest.raises(ValueError, match="timeout=0 must be a number of seconds > 0"):
        study.optimize(lambda t: 0.0, timeout=0)
    with pytest.raises(TypeError, match="must be callable"):
        study.optimize(42, n_trials=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="catch entry 'x' must be an exception class"):
        study.optimize(lambda t: 0.0, n_trials=1, catch=("x",))  # type: ignore[arg-type]
    assert study.trials == []


def test_stop_from_a_callback_and_timeout(url: Any) -> None:
    study = trimtab.create_study(storage=url)

    def stop_at_three(s: trimtab.Study, t: trimtab.FrozenTrial) -> None:
        if t.number == 2:
            s.stop()

    study.optimize(lambda t: 0.0, n_trials=100, callbacks=[stop_at_three])
    assert len(study.trials) == 3
    study.optimize(lambda t: 0.0, timeout=0.05)  # no n_trials: stops on time
    assert len(study.trials) > 3


def test_trial_and_study_attributes(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.set_user_attr("dataset", "digits")

    def objective(trial: trimtab.Trial) -> float:
        trial.set_user_attr("acc", 0.9)
        with pytest.raises(ValueError, match="JSON-serialisable"):
            trial.set_user_attr("model", object())
        return 0.1

    study.optimize(objective, n_trials=1)
    assert study.user_attrs == {"dataset": "digits"}
    assert study.trials[0].user_attrs == {"acc": 0.9}


def test_frozen_trials_are_immutable(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    t = study.trials[0]
    with pytest.raises(AttributeError):
        t.number = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.params["x"] = 3  # type: ignore[index]
    assert t.duration is not None and t.duration.total_seconds() >= 0


def test_trials_dataframe(url: Any) -> None:
    pd = pytest.importorskip("pandas")
    study = trimtab.create_study(storage=url)
    study.optimize(mlp_objective, n_trials=5)
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == 5
    for col in ("number", "value", "state", "params_lr", "params_width", "duration"):
        assert col in df.columns
    multi = trimtab.create_study(storage=url, directions=["minimize", "maximize"])
    multi.tell(multi.ask(), (1.0, 2.0))
    mdf = multi.trials_dataframe(multi_index=True)
    assert ("values", "0") in mdf.columns and ("values", "1") in mdf.columns
    with pytest.raises(ValueError, match="attrs entry 'loss' is not a trial field"):
        study.trials_dataframe(attrs=("loss",))


def test_add_trial_checks_and_copies(url: Any) -> None:
    source = trimtab.create_study()
    source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    target = trimtab.create_study(storage=url)
    target.add_trials(source.trials)
    assert [t.params for t in target.trials] == [t.params for t in source.trials]
    bad = trimtab.FrozenTrial(
        number=0,
        state=TrialState.COMPLETE,
        values=[1.0],
        params={"x": 2.0},
        distributions={"x": FloatDistribution(0, 1)},
    )
    with pytest.raises(ValueError, match=r"parameter 'x'=2.0 is not a float in \[0.0, 1.0\]"):
        target.add_trial(bad)
    with pytest.raises(ValueError, match="must be COMPLETE, PRUNED or FAILED"):
        target.add_trial(bad.replace(state=TrialState.RUNNING))


def test_search_space_exhausted_from_ask() -> None:
    study = trimtab.create_study(sampler=trimtab.samplers.GridSampler({"x": [1, 2]}))
    study.ask()
    study.ask()
    with pytest.raises(SearchSpaceExhausted, match="every one of the 2 grid points"):
        study.ask()
    assert len(study.trials) == 2


def test_progress_bar_runs(url: Any, capsys: pytest.CaptureFixture[str]) -> None:
    study = trimtab.create_study(storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, show_progress_bar=True)
    assert "3/3" in capsys.readouterr().err


def test_unhashable_suggest_arguments_get_the_clear_error() -> None:
    trial = trimtab.create_study().ask()
    with pytest.raises(ValueError, match=r"suggest_float\('x'\): low=\[0\] must be a real number"):
        trial.suggest_float("x", [0], 1)  # type: ignore[arg-type]
