"""The UCNN model: counts a layer's work from its unique weights and runs its passes (rules in the
package docstring, :mod:`accelsim.accelerators.ucnn`)."""
from __future__ import annotations

import math
from typing import Any

from accelsim.accelerators.base import Accelerator, LayerCounts, ceil_div
from accelsim.accelerators.registry import register
from accelsim.accelerators.ucnn.config import UcnnConfig
from accelsim.accelerators.ucnn.orders import LoopOrder, TablesSearch, UnitTables, best_tables_order, run_order
from accelsim.accelerators.ucnn.plan import UcnnPlan, plan_layer
from accelsim.counts import ActionCounts
from accelsim.functional import layer_outputs
from accelsim.results import check_conservation
from accelsim.kernels.ucnn import (U_AGG_ADDS, U_CYCLES, U_FILTERS, U_L, U_LEAF_ADDS, U_MULTS, U_NODES, U_P,
                                   nonzero_u8, quantized_weight_keys, ucnn_units)
from accelsim.timeline import TileWork
from accelsim.trace.format import LayerSpec, LayerTrace


@register
class Ucnn(Accelerator[UcnnPlan]):
    name = "ucnn"
    config_cls = UcnnConfig
    description = "UCNN (ISCA 2018): factorized dot products over unique weights, indirection tables, " \
                  "activation group reuse; Eyeriss-provisioned array"
    actions_emitted = (("mult", "random"), ("add", "random"), ("indirection", "read"), ("weight_spad", "read"),
                       ("weight_spad", "write"), ("ifmap_spad", "read"), ("ifmap_spad", "write"),
                       ("psum_spad", "read"), ("psum_spad", "write"), ("noc", "transfer"), ("glb", "read"),
                       ("glb", "write"), ("dram", "read_bits"), ("dram", "write_bits"))

    def peak_macs_per_cycle(self) -> int:
        return self.config.pes

    def plan(self, spec: LayerSpec) -> UcnnPlan:
        """PEs = channel tiles (tpp) x output blocks (k) x filter blocks (fs), in that priority."""
        return plan_layer(self.config, spec)

    # ---- count -------------------------------------------------------------------------------------
    def count(self, plan: UcnnPlan, layer: LayerTrace) -> LayerCounts:
        c, s, wb = self.config, plan.spec, self.config.word_bits
        keyed, u_nz = quantized_weight_keys(layer.weights_mcrs(), wb)   # fixedpoint codes as keys, U
        codes = keyed[0].reshape(s.groups, s.Mg, s.Cg, s.R * s.S)
        units, per_f = ucnn_units(codes, plan.G, plan.Ct, (codes,) + keyed[1:])   # (Gc, FG, T, .), (.., G, 2)
        nef = s.N * s.E * s.F
        S = {n: int(units[..., i].sum()) for n, i in (("P", U_P), ("leaf", U_LEAF_ADDS), ("agg", U_AGG_ADDS),
                                                      ("mults", U_MULTS), ("nodes", U_NODES))}
        nnz = int(per_f[..., 1].sum())
        dense = s.macs_dense
        executed = S["mults"] * nef
        positions = int((units[..., U_L] * units[..., U_FILTERS]).sum())
        skipped = (positions - nnz) * nef
        reused = (nnz - S["mults"]) * nef
        check_conservation(f"ucnn/{s.name} (unit counts)", dense, executed, skipped=skipped, reused=reused)

        # ---- indirection tables (bits) per unit and for the model
        ptr_bits = max(1, math.ceil(math.log2(max(2, plan.Ct * s.R * s.S))))
        widx_bits = max(1, math.ceil(math.log2(max(2, u_nz))))
        tbits = units[..., U_P] * (ptr_bits + units[..., U_FILTERS]) + units[..., U_MULTS] * widx_bits
        twords = -(-tbits // wb)
        value_bits = u_nz * wb
        model_bits = int(tbits.sum()) + value_bits
        tables_resident = model_bits <= c.glb_filter_bytes * 8
        overflow_units = int((twords > c.table_spad_words).sum())

        # ---- the two loop orders (module docstring): strips outer (tables re-read per image and strip
        # unless resident) or table chunks outer (inputs re-read per chunk); the one with less DRAM wins
        raw_in = (not c.rlc) or (c.raw_first_input and layer.network_input)
        x_nz = nonzero_u8(layer.inputs_nchw(), wb)     # RLC sizes depend only on where the zeros are
        y_nz = nonzero_u8(layer_outputs(layer).reshape(s.N, s.M, s.E, s.F), wb)
        cyc_u = units[..., U_CYCLES]
        FG = units.shape[1]
        u = UnitTables(cycles=cyc_u, words=twords, bits=tbits, x_nz=x_nz, y_nz=y_nz, raw_in=raw_in,
                       model_bits=model_bits, value_bits=value_bits)
        orders: dict[str, LoopOrder] = {"strips": run_order(c, plan, plan.strip_rows, [(0, FG)], False,
                                                             tables_resident, u)}
        search = TablesSearch(lower_bound=None, infeasible=None)
        if c.loop_order != "strips" and not tables_resident and s.N * plan.strips > 1 and not plan.glb_overflow:
            best = orders["strips"].dram_bits if c.loop_order == "auto" else None
            alt, search = best_tables_order(c, plan, tables_resident, u, best)
            if alt is not None:
                orders["tables"] = alt
        if c.loop_order == "tables" and "tables" in orders:
            chosen = "tables"
        else:   # auto: less DRAM traffic; a tie keeps the strip order
            chosen = min(orders, key=lambda o: (orders[o].dram_bits, o != "strips"))
        o = orders[chosen]
        cycles, load, store = o.cycles, o.load, o.store
        tw, ifm_words, in_unc, out_unc = o.tw, o.ifm_words, o.in_unc, o.out_unc
        dram_tables, in_bits, NCH = o.dram_tables, o.in_bits, o.chunks
        dram_r, dram_w = int(load.sum()), int(store.sum())

        # ---- actions
        CP = plan.channel_passes
        outs = s.N * s.M * s.E * s.F
        reduce_adds = outs * (min(plan.T, plan.tpp) - 1)    # psums of a pass's channel tiles, added in the array
        later = outs * (CP - 1)                        # psums re-read from the GLB in later channel passes
        pes_used = plan.tpp * plan.k * plan.fs * plan.gs
        tw_sum = int(tw.sum())
        table_fills = tw_sum * plan.k + u_nz * pes_used   # tables to k PEs; value table to all used
        fills = int(o.spad_fill.sum())
        a = ActionCounts()
        a.add("mult", "random", executed)
        a.add("add", "random", (S["leaf"] + S["agg"] + S["mults"]) * nef + reduce_adds + later)
        a.add("indirection", "read", (S["P"] + S["mults"]) * nef)
        a.add("ifmap_spad", "read", S["P"] * nef)
        a.add("ifmap_spad", "write", fills)
        a.add("weight_spad", "read", executed)
        a.add("weight_spad", "write", table_fills)
        a.add("psum_spad", "read", executed + reduce_adds + later)
        a.add("psum_spad", "write", executed + reduce_adds + later)
        a.add("noc", "transfer", table_fills + fills + reduce_adds + later + outs * CP)
        a.add("glb", "read", tw_sum + u_nz + int(ifm_words.sum()) + later + outs)
        a.add("glb", "write", (dram_tables + int(in_unc.sum()) * NCH) // wb + outs * CP)
        a.add("dram", "read_bits", dram_r)
        a.add("dram", "write_bits", dram_w)

        mapping = plan.to_dict()
        if chosen == "tables":
            mapping.update(strips=ceil_div(s.E, o.strip_rows), strip_rows=o.strip_rows)
        mapping.update(loop_order=chosen, table_chunks=NCH)
        extra: dict[str, Any] = {
            "tile_name": "pass", "mapping": mapping, "pes_used": pes_used, "group_size": plan.G,
            "channel_tile": plan.Ct, "loop_order": chosen,
            "loop_orders": {k: {"dram_bits": v.dram_bits, "cycles_estimate": v.cycles_estimate,
                                "strip_rows": v.strip_rows, "table_chunks": v.chunks}
                            for k, v in orders.items()},
            "tables_order_dram_bits_lower_bound": search.lower_bound,
            "tables_order_infeasible": search.infeasible,
            "unique_nonzero_weights": u_nz, "multiplies": executed, "adds": int(a[("add", "random")]),
            "iit_reads": S["P"] * nef, "wit_reads": S["mults"] * nef,
            "iit_bits": int((units[..., U_P] * (ptr_bits + units[..., U_FILTERS])).sum()),
            "wit_bits": int((units[..., U_MULTS] * widx_bits).sum()), "weight_value_bits": value_bits,
            "model_bits": model_bits, "model_bits_dense": s.M * s.Cg * s.R * s.S * wb,
            "dram_table_read_bits": dram_tables, "tables_resident": tables_resident,
            "table_overflow_units": overflow_units,
            "mults_per_unit_mean": float(units[..., U_MULTS].mean()),
            "iit_entries_per_unit_mean": float(units[..., U_P].mean()),
            "dram_ifmap_read_bits": int(in_bits.sum()) * NCH, "dram_ofmap_write_bits": dram_w,
            "dram_ifmap_read_bits_uncompressed": int(in_unc.sum()) * NCH,
            "dram_ofmap_write_bits_uncompressed": int(out_unc.sum()),
            "hierarchy_nodes": S["nodes"] * nef, "input_compressed": not raw_in,
        }
        tiles = TileWork(load.reshape(-1), cycles.reshape(-1), store.reshape(-1))
        return LayerCounts(actions=a, macs_dense=dense, macs_executed=executed, macs_skipped=skipped,
                           macs_reused=reused, dram_read_bits=dram_r, dram_write_bits=dram_w, tiles=tiles,
                           extra=extra)


__all__ = ["Ucnn"]
