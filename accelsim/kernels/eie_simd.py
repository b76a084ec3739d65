"""One step of EIE's queue recurrence on a whole vector of PEs (a numba intrinsic written in LLVM IR).

numba widens every integer operation to 64 bits, so a loop over PEs holding small numbers runs on
8 lanes per 512-bit vector however narrow its arrays are.  :func:`lag_step_start` and
:func:`lag_step_finish` state the step on one 64-byte vector of the array's own type instead (64 int8,
32 int16, 16 int32 or 8 int64 lanes; LLVM splits it into whatever vectors the CPU has), so 64 PEs with
int8 lags take one AVX-512 register.  Their Python functions below are the definition (and what
``py_func`` runs); the kernel :func:`accelsim.kernels.eie.eie_product` says why the numbers fit.

Like every kernel here, nothing imports numba until a kernel that calls these is first compiled
(:class:`LazyIntrinsic`, built through :func:`accelsim.kernels._jit.numba_module`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from accelsim.kernels._jit import LazyKernel, numba_module

#: bytes of one step's vector: lanes = VECTOR_BYTES // itemsize
VECTOR_BYTES = 64


def lanes_of(dtype: Any) -> int:
    return VECTOR_BYTES // np.dtype(dtype).itemsize


def _step(L: np.ndarray, C: np.ndarray, o: int, co: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    w = lanes_of(L.dtype)
    x = np.maximum(L[o:o + w].astype(np.int64) - d, 0)
    y = x + C.reshape(-1)[co:co + w]
    L[o:o + w] = y
    return x, y


def lag_step_start(L, C, o, co, d):
    """Lanes o .. o + w - 1 of L (w = :func:`lanes_of` L's dtype) against the w costs at flat offset co
    of the C-contiguous C: x = max(L - d, 0), L <- x + costs; returns max(x) (the latest start over these
    PEs, relative to the broadcast cycle)."""
    return int(_step(L, C, o, co, d)[0].max())


def lag_step_finish(L, C, o, co, d):
    """As :func:`lag_step_start` but returns max(x + costs) (the latest finish, relative)."""
    return int(_step(L, C, o, co, d)[1].max())


def _build(finish: bool) -> Any:
    numba_module()
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    def gen(typingctx, L, C, o, co, d):
        ok = (isinstance(L, types.Array) and isinstance(C, types.Array) and L.ndim == 1
              and L.layout == "C" and C.layout == "C" and L.dtype == C.dtype
              and isinstance(L.dtype, types.Integer) and L.dtype.signed)
        if not ok:
            return None
        bits = L.dtype.bitwidth
        lanes = VECTOR_BYTES * 8 // bits

        def codegen(context, builder, signature, args):
            la = context.make_array(signature.args[0])(context, builder, args[0])
            ca = context.make_array(signature.args[1])(context, builder, args[1])
            et, i64 = ir.IntType(bits), ir.IntType(64)
            vt = ir.VectorType(et, lanes)
            oo, co, dd = (context.cast(builder, a, t, types.int64) for a, t in zip(args[2:], signature.args[2:]))
            lp = builder.bitcast(builder.gep(la.data, [oo]), vt.as_pointer())
            cp = builder.bitcast(builder.gep(ca.data, [co]), vt.as_pointer())
            lv = builder.load(lp, align=1)
            cv = builder.load(cp, align=1)
            dv = builder.insert_element(ir.Constant(vt, ir.Undefined), builder.trunc(dd, et), ir.Constant(ir.IntType(32), 0))
            dv = builder.shuffle_vector(dv, ir.Constant(vt, ir.Undefined),
                                        ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes))
            zero = ir.Constant(vt, [0] * lanes)
            x = builder.sub(lv, dv)
            x = builder.select(builder.icmp_signed(">", x, zero), x, zero)
            y = builder.add(x, cv)
            builder.store(y, lp, align=1)
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(et, [vt]),
                                                f"llvm.vector.reduce.smax.v{lanes}i{bits}")
            return builder.sext(builder.call(fn, [y if finish else x]), i64) if bits < 64 else builder.call(fn, [y if finish else x])

        return types.int64(L, C, o, co, d), codegen

    return intrinsic(gen)


class LazyIntrinsic(LazyKernel):
    """A numba intrinsic built on first use; a kernel that calls it by a global name gets the intrinsic
    (:meth:`LazyKernel.dispatcher`).  Called from Python it runs its Python definition."""

    def __init__(self, fn: Callable[..., Any], finish: bool) -> None:
        super().__init__(fn)
        self._finish = finish

    def dispatcher(self) -> Any:
        if self._dispatcher is None:
            self._dispatcher = _build(self._finish)
        return self._dispatcher

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.py_func(*args, **kwargs)


lag_step_start = LazyIntrinsic(lag_step_start, finish=False)  # type: ignore[assignment]
lag_step_finish = LazyIntrinsic(lag_step_finish, finish=True)  # type: ignore[assignment]

__all__ = ["VECTOR_BYTES", "LazyIntrinsic", "lag_step_finish", "lag_step_start", "lanes_of"]
