"""Would a freeze-thaw schedule beat ASHA on the replayed MLP curves? A scheduling study.

    python -m benchmarks.mf_freeze_thaw --seeds 10 --workers 4

Not a method of the suite: a quick answer to "is it worth building?", on the recorded curves of
``mlp_digits_surrogate`` (1,500 configurations x 27 epochs, each epoch's error and recorded
cost), with the budget (10 simulated s) and target (0.013) of ``benchmarks/multifidelity.py``.
Configurations are drawn uniformly from the recorded ones (no sampler model on either side),
so only the schedule differs. A minimal event simulation of ``workers`` asynchronous workers:

- ``asha``: the stopping form of asynchronous successive halving, rungs 1, 3, 9, 27 epochs,
  reduction factor 3: at a rung a trial goes on only if it is among the best
  ``floor(n / 3)`` of the ``n`` trials that reached the rung (itself included).
- ``freeze-thaw``: the promotion form one epoch at a time, the rule of DyHPO (Wistuba, Schwarz
  and Grabocka, "Supervising the Multi-Fidelity Race of Hyperparameter Configurations",
  NeurIPS 2022): a free worker trains one more epoch of the candidate with the largest expected
  improvement at its next epoch over the best error seen at that epoch. Candidates are every
  paused trial (at its next epoch) and a new configuration (at epoch 1). DyHPO models
  (configuration, budget, curve) with a deep-kernel GP; here a pooled model of one epoch's
  change stands in for it: log error at epoch e+1 = log error at e + N(mean, sd) of the changes
  observed from e to e+1 (all epochs pooled until 3 are seen); a new configuration's EI is the
  mean improvement of the epoch-1 errors seen so far over their best. The first ``n0`` trials
  start new. Variants: errors instead of log errors, ``n0`` = 30.
- ``freeze-thaw, chance to beat the incumbent``: the question of Swersky, Snoek and Adams,
  "Freeze-Thaw Bayesian Optimization" (2014), in a cheap form: train the candidate most
  likely to end below the incumbent, per epoch it still needs (``freeze_thaw_final``).

Prints the median time to target and the sorted per-seed times.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import itertools
import json
import math
import statistics

import numpy as np
from scipy.stats import norm

from benchmarks.multifidelity import BUDGET, TARGET
from trimtab.benchmarks._multifidelity import CURVES


def _curves() -> tuple[np.ndarray, np.ndarray]:
    data = json.loads(gzip.decompress(CURVES.read_bytes()))["curves"]
    return np.array([c["errors"] for c in data]), np.array([c["seconds"] for c in data])


ERRORS, SECONDS = _curves()
N, T = ERRORS.shape


def asha(seed: int, workers: int) -> float:
    rng = np.random.default_rng(seed)
    rungs: dict[int, list[float]] = {1: [], 3: [], 9: []}
    events: list[tuple[float, int, int, int, int]] = []
    order = itertools.count()

    def launch(w: int, now: float) -> None:
        i = int(rng.integers(N))
        heapq.heappush(events, (now + SECONDS[i, 0], next(order), w, i, 1))

    for w in range(workers):
        launch(w, 0.0)
    while events:
        now, _, w, i, e = heapq.heappop(events)
        if now > BUDGET:
            return math.inf
        y = float(ERRORS[i, e - 1])
        if e == T:
            if y <= TARGET:
                return now
            launch(w, now)
            continue
        if e in rungs:
            rungs[e].append(y)
            k = len(rungs[e]) // 3
            if k == 0 or y > sorted(rungs[e])[k - 1]:
                launch(w, now)
                continue
        heapq.heappush(events, (now + SECONDS[i, e], next(order), w, i, e + 1))
    return math.inf


def freeze_thaw(seed: int, workers: int, n0: int = 10, log: bool = True) -> float:
    rng = np.random.default_rng(seed)
    f = np.log if log else (lambda x: x)
    curve: list[int] = []  # trial -> recorded configuration
    seen: list[list[float]] = []  # trial -> errors so far
    paused: set[int] = set()
    best = np.full(T + 1, np.inf)  # best error seen at each epoch
    events: list[tuple[float, int, int, int]] = []
    order = itertools.count()

    def change(e: int) -> tuple[float, float]:
        d = [f(s[e]) - f(s[e - 1]) for s in seen if len(s) > e]
        if len(d) < 3:
            d = [f(s[k + 1]) - f(s[k]) for s in seen for k in range(len(s) - 1)]
        if len(d) < 3:
            return 0.0, 0.1
        return float(np.mean(d)), float(np.std(d)) + 1e-3

    def choose() -> int | None:
        if sum(1 for s in seen if s) < n0 or not paused:
            return None
        top, pick = -1.0, None
        for t in sorted(paused):
            e = len(seen[t])
            mu, sd = change(e)
            m = f(seen[t][-1]) + mu
            if not np.isfinite(best[e + 1]):
                ei = math.inf
            else:
                z = (f(best[e + 1]) - m) / sd
                ei = sd * (z * norm.cdf(z) + norm.pdf(z))
            if ei > top:
                top, pick = ei, t
        first = f(np.array([s[0] for s in seen if s]))
        new = float(np.mean(np.maximum(f(best[1]) - first, 0.0)))
        return pick if top > new else None

    def launch(w: int, now: float) -> None:
        t = choose()
        if t is None:
            t = len(curve)
            curve.append(int(rng.integers(N)))
            seen.append([])
        else:
            paused.discard(t)
        heapq.heappush(events, (now + SECONDS[curve[t], len(seen[t])], next(order), w, t))

    for w in range(workers):
        launch(w, 0.0)
    while events:
        now, _, w, t = heapq.heappop(events)
        if now > BUDGET:
            return math.inf
        e = len(seen[t])
        y = float(ERRORS[curve[t], e])
        seen[t].append(y)
        best[e + 1] = min(best[e + 1], y)
        if e + 1 == T:
            if y <= TARGET:
                return now
        else:
            paused.add(t)
        launch(w, now)
    return math.inf


def freeze_thaw_final(seed: int, workers: int, n_complete: int = 5) -> float:
    """Freeze-thaw scored by the chance of beating the incumbent at the last epoch, per epoch
    still to train: log final error = a_e + b_e log error at e + N(0, s_e), fitted by least
    squares on the complete trials; a new configuration scores the mean over the epoch-1
    errors seen. Until ``n_complete`` trials are complete, every trial is trained in full."""
    rng = np.random.default_rng(seed)
    curve: list[int] = []
    seen: list[list[float]] = []
    paused: set[int] = set()
    events: list[tuple[float, int, int, int]] = []
    order = itertools.count()

    def choose() -> int | None:
        done = np.log(np.array([s for s in seen if len(s) == T]))
        if len(done) < n_complete or not paused:
            return None
        inc = done[:, -1].min()
        fits: dict[int, tuple[float, float, float]] = {}
        for e in range(1, T):
            b, a = np.polyfit(done[:, e - 1], done[:, -1], 1)
            r = done[:, -1] - (a + b * done[:, e - 1])
            fits[e] = (float(a), float(b), float(r.std()) + 1e-3)

        def chance(e: int, y: np.ndarray) -> np.ndarray:
            a, b, sd = fits[e]
            return np.asarray(norm.cdf((inc - (a + b * np.log(y))) / sd))

        top, pick = -1.0, None
        for t in sorted(paused):
            e = len(seen[t])
            score = float(chance(e, np.array(seen[t][-1]))) / (T - e)
            if score > top:
                top, pick = score, t
        first = np.array([s[0] for s in seen if s])
        new = float(np.mean(chance(1, first))) / T
        return pick if top > new else None

    def launch(w: int, now: float) -> None:
        t = choose()
        if t is None:
            t = len(curve)
            curve.append(int(rng.integers(N)))
            seen.append([])
        else:
            paused.discard(t)
        heapq.heappush(events, (now + SECONDS[curve[t], len(seen[t])], next(order), w, t))

    while len(events) < workers:
        launch(len(events), 0.0)
    while events:
        now, _, w, t = heapq.heappop(events)
        if now > BUDGET:
            return math.inf
        e = len(seen[t])
        y = float(ERRORS[curve[t], e])
        seen[t].append(y)
        if e + 1 == T:
            if y <= TARGET:
                return now
        elif sum(1 for s in seen if len(s) == T) < n_complete:
            heapq.heappush(events, (now + SECONDS[curve[t], e + 1], next(order), w, t))
            continue
        else:
            paused.add(t)
        launch(w, now)
    return math.inf


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", help="run only the schedules whose name contains this")
    args = parser.parse_args(argv)
    rules = {
        "asha": lambda s: asha(s, args.workers),
        "freeze-thaw": lambda s: freeze_thaw(s, args.workers),
        "freeze-thaw, errors not logs": lambda s: freeze_thaw(s, args.workers, log=False),
        "freeze-thaw, n0 = 30": lambda s: freeze_thaw(s, args.workers, n0=30),
        "freeze-thaw, chance to beat the incumbent": lambda s: freeze_thaw_final(s, args.workers),
    }
    print(f"| schedule | median time to target {TARGET:g}, s | per seed, sorted |")
    print("|---|---:|---|")
    for name, rule in rules.items():
        if args.only and args.only not in name:
            continue
        times = [rule(s) for s in range(args.seeds)]
        shown = ", ".join("inf" if math.isinf(t) else f"{t:.2f}" for t in sorted(times))
        print(f"| {name} | {statistics.median(times):.2f} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
