import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("accelsim", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("accelsim")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
