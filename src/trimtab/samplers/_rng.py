"""Per-trial random numbers: the same seed, trial number and parameter give the same draw.

Draws are counter-based (SplitMix64 finaliser, Steele, Lea & Flood, "Fast Splittable
Pseudorandom Number Generators", OOPSLA 2014) on (seed, trial number, parameter name), so
workers in several processes draw different values (trial numbers are unique within a study),
a rerun with the same seed reproduces every draw, and a parameter's draw does not depend on
which other parameters a conditional objective suggested before it.
"""

from __future__ import annotations

import random
import secrets
import zlib

_MASK = (1 << 64) - 1


def resolve_seed(seed: int | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed={seed!r} must be an int or None")
    return seed


def _mix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


_NAME_KEYS: dict[str, int] = {}


def mix_seed(seed: int) -> int:
    """Scramble a seed once, for ``uniform``."""
    return _mix(seed & _MASK)


def uniform(mixed_seed: int, trial_number: int, name: str) -> float:
    """A number in [0, 1) that depends only on (seed, trial number, name).

    ``mixed_seed`` is ``mix_seed(seed)``.
    """
    key = _NAME_KEYS.get(name)
    if key is None:
        key = _mix(zlib.crc32(name.encode()) << 32)
        if len(_NAME_KEYS) < 65536:
            _NAME_KEYS[name] = key
    z = _mix(_mix(mixed_seed ^ trial_number) ^ key)
    return (z >> 11) * (1.0 / (1 << 53))


def trial_rng(seed: int, trial_number: int, salt: str = "") -> random.Random:
    """A full random stream for (seed, trial number, salt), for samplers needing many draws."""
    return random.Random(f"{seed}:{trial_number}:{salt}")
