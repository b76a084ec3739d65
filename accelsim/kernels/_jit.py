"""The one place numba flags are chosen for accelsim's kernels.

``cache=True`` keeps compiled kernels across processes; no ``fastmath`` (counts must be exact) and no
``parallel`` (these machines give about one core, and thread pools run much slower at random).
"""
import numba

jit = numba.njit(cache=True, nogil=True)
