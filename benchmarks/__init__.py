"""Benchmark scripts (not part of the installed package).

One thread per process: the runner runs several worker processes side by side, and OpenMP or
BLAS thread pools in each (scikit-learn's gradient boosting, torch) would fight over the cores.
Set here, before NumPy or scikit-learn is imported by any script of this package.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
