"""One step of EIE's queue recurrence on a whole vector of PEs (a numba intrinsic written in LLVM IR).

numba widens every integer operation to 64 bits, so a loop over PEs holding small numbers runs on
8 lanes per 512-bit vector however narrow its arrays are.  :func:`lag_step_start` and
:func:`lag_step_finish` state the step on one vector of 64 PEs in the array's own type instead (int8,
int16, int32 or int64 lanes; LLVM splits it into whatever vectors the CPU has), so 64 PEs with int8
lags take one AVX-512 register.  Their Python functions below are the definition (and what
``py_func`` runs); the kernel :func:`accelsim.kernels.eie.eie_product` says why the numbers fit.

Like every kernel here, nothing imports numba until a kernel that calls these is first compiled
(:class:`LazyIntrinsic`, built through :func:`accelsim.kernels._jit.numba_module`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from accelsim.kernels._jit import LazyKernel, numba_module

#: PEs in one step's vector, whatever the lag type
VECTOR_LANES = 64


def _step(L: np.ndarray, C: np.ndarray, o: int, co: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    w = VECTOR_LANES
    x = np.maximum(L[o:o + w].astype(np.int64) - d, 0)
    y = x + C.reshape(-1)[co:co + w]
    L[o:o + w] = y
    return x, y


def lag_step_start(L, C, o, co, d):
    """Lanes o .. o + w - 1 of L (w = :data:`VECTOR_LANES`) against the w costs at flat offset co
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
        lanes = VECTOR_LANES

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


def product_one_vector(C, rows, k, depth, cap, ring):
    """A whole product on PEs that fill exactly one vector (C: (J, w) costs, w = :data:`VECTOR_LANES`), the
    lags held in a register from column to column instead of being stored and reloaded (the kernel's
    :func:`accelsim.kernels.eie.eie_product` with one chunk, same arguments).  Returns (cycles, stalls)."""
    w = VECTOR_LANES
    assert C.shape[1] == w
    L = np.zeros(w, dtype=np.int64)
    b, mf, mask = -1, 0, ring.shape[0] - 1
    for i in range(k):
        bn = b + 1
        if depth == 0:
            bn = max(bn, b + mf)
        elif i >= depth:
            bn = max(bn, int(ring[(i - depth) & mask]))
        d = min(bn - b, cap)
        b = bn
        x = np.maximum(L - d, 0)
        L = x + C.reshape(-1)[rows[i]:rows[i] + w]
        mf = int(L.max())
        ring[i & mask] = b + int(x.max())
    return b + max(1, int(L.max(initial=0))), b + 1 - k


def _build_product(queue: bool) -> Any:
    """product_one_vector in LLVM IR, specialised for depth > 0 (``queue``) or depth 0."""
    numba_module()
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    def gen(typingctx, C, rows, k, depth, cap, ring):
        ok = (isinstance(C, types.Array) and isinstance(rows, types.Array) and isinstance(ring, types.Array)
              and C.ndim == 2 and C.layout == "C" and isinstance(C.dtype, types.Integer) and C.dtype.signed
              and rows.ndim == 1 and rows.dtype == types.int64 and ring.ndim == 1 and ring.dtype == types.int64)
        if not ok:
            return None
        bits = C.dtype.bitwidth
        lanes = VECTOR_LANES

        def codegen(context, builder, signature, args):
            ca = context.make_array(signature.args[0])(context, builder, args[0])
            ra = context.make_array(signature.args[1])(context, builder, args[1])
            ga = context.make_array(signature.args[5])(context, builder, args[5])
            kk, dep, cap = (context.cast(builder, a, t, types.int64)
                            for a, t in zip(args[2:5], signature.args[2:5]))
            et, i64 = ir.IntType(bits), ir.IntType(64)
            vt = ir.VectorType(et, lanes)
            zero = ir.Constant(vt, [0] * lanes)
            one64 = ir.Constant(i64, 1)
            red = cgutils.get_or_insert_function(builder.module, ir.FunctionType(et, [vt]),
                                                 f"llvm.vector.reduce.umax.v{lanes}i{bits}")

            def vmax(v):  # lags are >= 0: the unsigned maximum is the maximum
                m = builder.call(red, [v])
                return builder.zext(m, i64) if bits < 64 else m

            def smax(a, b):
                return builder.select(builder.icmp_signed(">", a, b), a, b)

            mask = builder.sub(builder.extract_value(ga.shape, 0), one64)
            lvar = cgutils.alloca_once_value(builder, zero)
            bvar = cgutils.alloca_once_value(builder, ir.Constant(i64, -1))
            mfvar = cgutils.alloca_once_value(builder, ir.Constant(i64, 0))
            with cgutils.for_range(builder, kk) as loop:
                i = loop.index
                b = builder.load(bvar)
                bn = builder.add(b, one64)
                if queue:
                    slot = builder.and_(builder.sub(i, dep), mask)
                    held = builder.load(builder.gep(ga.data, [slot]))
                    bn = builder.select(builder.icmp_signed(">=", i, dep), smax(bn, held), bn)
                else:
                    bn = smax(bn, builder.add(b, builder.load(mfvar)))
                d = builder.sub(bn, b)
                d = builder.select(builder.icmp_signed("<", cap, d), cap, d)
                builder.store(bn, bvar)
                dv = builder.insert_element(ir.Constant(vt, ir.Undefined), builder.trunc(d, et) if bits < 64 else d,
                                            ir.Constant(ir.IntType(32), 0))
                dv = builder.shuffle_vector(dv, ir.Constant(vt, ir.Undefined),
                                            ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes))
                x = builder.sub(builder.load(lvar), dv)
                x = builder.select(builder.icmp_signed(">", x, zero), x, zero)
                off = builder.load(builder.gep(ra.data, [i]))
                cv = builder.load(builder.bitcast(builder.gep(ca.data, [off]), vt.as_pointer()), align=1)
                y = builder.add(x, cv)
                builder.store(y, lvar)
                if queue:
                    builder.store(builder.add(bn, vmax(x)), builder.gep(ga.data, [builder.and_(i, mask)]))
                else:
                    builder.store(vmax(y), mfvar)
            b = builder.load(bvar)
            top = vmax(builder.load(lvar))
            top = builder.select(builder.icmp_signed(">", top, one64), top, one64)
            res = (builder.add(b, top), builder.sub(builder.add(b, one64), kk))
            return context.make_tuple(builder, signature.return_type, res)

        return types.UniTuple(types.int64, 2)(C, rows, k, depth, cap, ring), codegen

    return intrinsic(gen)


class LazyIntrinsic(LazyKernel):
    """A numba intrinsic built on first use; a kernel that calls it by a global name gets the intrinsic
    (:meth:`LazyKernel.dispatcher`).  Called from Python it runs its Python definition."""

    def __init__(self, fn: Callable[..., Any], build: Callable[[], Any]) -> None:
        super().__init__(fn)
        self._build = build

    def dispatcher(self) -> Any:
        if self._dispatcher is None:
            self._dispatcher = self._build()
        return self._dispatcher

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.py_func(*args, **kwargs)


lag_step_start = LazyIntrinsic(lag_step_start, lambda: _build(False))  # type: ignore[assignment]
lag_step_finish = LazyIntrinsic(lag_step_finish, lambda: _build(True))  # type: ignore[assignment]
#: product_one_vector for depth >= 1 and for depth 0 (the kernel picks by depth)
product_one_vector_queue = LazyIntrinsic(product_one_vector, lambda: _build_product(True))
product_one_vector_noqueue = LazyIntrinsic(product_one_vector, lambda: _build_product(False))

__all__ = ["VECTOR_LANES", "LazyIntrinsic", "lag_step_finish", "lag_step_start", "product_one_vector",
           "product_one_vector_noqueue", "product_one_vector_queue"]
