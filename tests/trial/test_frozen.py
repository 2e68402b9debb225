"""``FrozenTrial`` records travel to worker processes (pickled) unchanged."""

from __future__ import annotations

import datetime
import pickle

from trimtab.distributions import CategoricalDistribution, FloatDistribution
from trimtab.trial import FrozenTrial, TrialState


def test_pickled_frozen_trials_are_equal_and_still_immutable() -> None:
    start = datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)
    t = FrozenTrial(
        number=3,
        state=TrialState.FAILED,
        params={"x": 0.5, "act": "relu"},
        distributions={"x": FloatDistribution(0, 1), "act": CategoricalDistribution(["relu"])},
        user_attrs={"a": [1]},
        system_attrs={"s": 1},
        intermediate_values={0: 1.5},
        datetime_start=start,
        datetime_complete=start,
        fail_reason={"type": "ValueError", "message": "m", "traceback": ""},
        trial_id=7,
    )
    back = pickle.loads(pickle.dumps(t))
    assert back == t and back.trial_id == 7 and back.fail_reason == t.fail_reason
    assert back.distributions["x"] == FloatDistribution(0, 1)
    try:
        back.number = 4  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a pickled FrozenTrial became mutable")
