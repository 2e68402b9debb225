"""Per-trial random streams: the same seed and trial number always give the same draws."""

from __future__ import annotations

import random
import secrets


def resolve_seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed={seed!r} must be an int or None")
    return seed


def trial_rng(seed: int, trial_number: int, salt: str = "") -> random.Random:
    """A stream that depends only on (seed, trial number, salt).

    Workers in several processes draw from different streams because trial numbers are
    unique within a study, yet a rerun with the same seed reproduces every draw.
    """
    return random.Random(f"{seed}:{trial_number}:{salt}")
