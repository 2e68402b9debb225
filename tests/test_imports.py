"""``import trimtab`` stays light: heavy modules load only when a feature needs them."""

from __future__ import annotations

import subprocess
import sys


def test_import_trimtab_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, trimtab\n"
        "study = trimtab.create_study()\n"
        "study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)\n"
        "heavy = [m for m in ('numpy', 'sqlalchemy', 'pandas', 'alembic') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_lazy_names_resolve() -> None:
    import trimtab

    assert trimtab.samplers.TPESampler.__name__ == "TPESampler"
    assert trimtab.samplers.GeneticSampler.__name__ == "GeneticSampler"
    assert trimtab.samplers.NSGAIISampler.__name__ == "NSGAIISampler"
    assert trimtab.storages.SQLStorage.__name__ == "SQLStorage"
    assert trimtab.execution.ProcessPool.__name__ == "ProcessPool"
