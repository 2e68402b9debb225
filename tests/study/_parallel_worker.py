"""Run in a subprocess by test_parallel: optimize with 2 worker processes until Ctrl-C.

Trials 0-3 finish at once; later trials write a marker file and sleep until interrupted.
Prints the trials as JSON once optimize returns.
"""

import json
import logging
import signal
import sys
import time
from pathlib import Path

import trimtab

logging.getLogger("trimtab").setLevel(logging.ERROR)


def objective(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number >= 4:
        (Path(sys.argv[2]) / f"{trial.number}").write_text("running")
        time.sleep(600)
    return x


if __name__ == "__main__":
    # as when started from a terminal: a test runner may start us with SIGINT ignored, and a
    # process that starts with SIGINT ignored keeps it ignored (then Ctrl-C never arrives)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    storage = None if sys.argv[1] == "memory" else sys.argv[1]
    study = trimtab.create_study(study_name="p", storage=storage, load_if_exists=True)
    study.optimize(objective, n_trials=50, n_jobs=2)
    rows = [[t.number, t.state.name, (t.fail_reason or {}).get("type")] for t in study.trials]
    print(json.dumps(rows))
