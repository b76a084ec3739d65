"""UCNN (Hegde et al., ISCA 2018, "UCNN: Exploiting Computational Reuse in Deep Neural Networks via
Weight Repetition", arXiv 1804.06508) on an array provisioned like Eyeriss v1.

From the paper (abstract and public summaries; REFERENCES.md section 4):
* **dot-product factorization**: inputs that share a weight value are summed first, then multiplied once
  per unique non-zero weight ([A, B, A] . [1, 2, 3] = A (1 + 3) + B 2); zero weights are skipped;
* **indirection tables** replace the dense weight stream: an input indirection table (iiT) lists, per
  tile, the inputs to fetch grouped by weight; a weight indirection table (wiT) gives the weight each
  group is multiplied by.  They are what the PEs read and what DRAM stores (the compressed model);
* **activation group reuse**: G filters are processed together with a hierarchically sorted table, so
  sums of input sub-groups shared by the filters are computed once; G in {1, 2, 4};
* the baseline is an Eyeriss-style accelerator with zero-gating and compressed DRAM I/O, provisioned
  alike ("eyeriss" here; "eyeriss:rlc=false:gating=false" is the dense variant).

accelsim's rules (assumptions where the paper's details were not available; every number is a config
field):

* A **unit** (the tile) is one filter group of G filters (fewer in the last group) x one channel tile of
  Ct = ``channel_tile`` channels (fewer in the last) x the R x S taps, for every output position of the
  layer.  One PE runs one unit at a time; its work per output position depends only on the weights and
  is computed by :func:`accelsim.kernels.ucnn.ucnn_units` (per-output counts P, leaf/aggregation adds,
  multiplies; definitions there).  A position whose G weights are all zero is not in the iiT (skipped).
* **Cycle rule** per unit and output position: ``max(P + agg_adds, mults)`` -- the input adder takes
  one iiT entry (fetch an input, add it into its sub-group sum) or one aggregation add per cycle, the
  multiplier one product per cycle (accumulated into the filter's psum by its own adder), pipelined.
  UCNN skips zero weights, not zero inputs: the iiT is built offline from the weights (assumption).
* **Array**: ``pe_rows x pe_cols`` = 168 PEs (Eyeriss's), 200 MHz, 108 kB GLB, the same DRAM link.
  A PE keeps an input tile stationary (Ct channels x the input rows of its block of output positions)
  and streams the indirection tables of its filter groups through (assumption: the tables are small,
  the inputs are re-read per output).  The PEs of a *pass* are tpp = min(T, 168) channel tiles (T =
  ceil(Cg/Ct)) x k blocks of output positions x fs blocks of filter groups, filled in that order
  (k = min(168 // tpp, outputs of the strip), fs = min(168 // (tpp k), filter groups)).  The psums of
  a pass's channel tiles are reduced in the array over the NoC (T - 1 adds per output value, as
  Eyeriss adds psums up a column); if T > 168 later channel passes accumulate through the GLB.
  Pass cycles = the slowest of: its slowest PE (sum over its filter groups of unit cycles, x its output
  positions), the table stream (filter GIN, 4 words/cycle, double-buffered), the ifmap GIN (1
  word/cycle) and the psum GON (4 words/cycle).  Passes run through the simpy timeline as tiles.
* **Geometry** (accelsim.geometry): a unit's work per output position depends only on its weights, so
  dilation and per-axis stride/padding change only which inputs the iiT entries point at and which input
  rows and columns a strip holds (natively; no extra work).
* **Groups** (``group_mapping``): ``spread`` (default) places gs conv groups side by side in a pass when
  one group leaves PEs idle (gs = the fewest giving the fewest group passes within 168 // (tpp k fs) and
  the fmap GLB); the pass takes its slowest PE and the groups' GIN/GON words add up.  In this model it
  rarely saves cycles: a pass that leaves PEs idle is already bound by the 1-word/cycle ifmap GIN (a PE's
  unit needs at most Ct R S cycles per position, the pass sends at least that many input words), and
  every group needs its own inputs.  ``serial``: one group per pass.
* **Buffers**: a conv group's input rows for a strip of output rows stay in the 100 kB GLB (strips as
  tall as fit; with more than one channel pass the strip's psums of all filters must fit too -- with one,
  each output value is complete when its pass reduces it and leaves through the GLB to DRAM); the indirection tables of the whole layer are
  read from DRAM once if they fit the 8 kB filter GLB, else once per (image, strip) pass.
* **Loop order** (``loop_order``, default strips): when the tables do not fit, the *strip order* above
  re-reads them per (image, strip).  The *table order* keeps a chunk of tables on chip and re-streams
  the inputs instead: per conv group, for each chunk of consecutive filter groups whose tables fit the
  filter GLB plus the part of the fmap GLB the strip's input rows (and psums) leave free, every image
  and strip is run for that chunk's filters only (tables read once per layer, inputs and their GLB/NoC
  traffic once per chunk; each chunk's pass pays its own ifmap-GIN time, so compute-light chunks become
  GIN-bound).  Its strips may be shorter (halving from the strip order's height down to the lowest that
  keeps the k output blocks), which frees GLB for tables but re-reads more halo rows (the same
  dram_rows rule).  count() computes both orders' passes, DRAM bits and a cycle estimate (sum over
  passes of max(pass cycles, its DRAM time)) and auto takes the order with **less DRAM traffic** (ties:
  strips), even where it costs cycles; ``extra["loop_orders"]`` reports both.  The default is the strip
  order: on AlexNet and VGG-16 the table order, where it saves DRAM at all, costs more energy (shorter
  strips mean more input-spad fills and GIN-bound passes), so least-DRAM is not what a compiler
  minimizing energy would pick.  A height is only
  evaluated exactly when a lower bound (tables once + chunks x 64/3 bits per non-zero input) could beat
  the best known.  A unit's
  tables must fit the PE's 224 x 16 b table spad (``table_overflow_units`` counts those that do not;
  not enforced).
* **Table formats** (assumption): an iiT entry is an input pointer of ceil(log2(Ct R S)) bits plus one
  group-end flag per hierarchy level (G bits); a wiT entry (one per multiply) indexes the layer's table
  of U unique non-zero 16-bit weights (ceil(log2 U) bits).  DRAM holds iiT + wiT + the U-entry table in
  place of M Cg R S dense 16-bit weights (``model_bits`` vs ``model_bits_dense``).
* **Fmaps in DRAM**: RLC as in Eyeriss (rlc=True; streams per image, channel and strip rows), the first
  layer's input raw; outputs computed functionally when the trace has none.

MAC vocabulary (exact; tested): per filter j of a unit and output position, dense = L (its R S Ct
weights); **executed** = multiplies (mults_j); **skipped** = zero weights (L - nnz_j); **reused** =
non-zero weights whose multiply is shared (nnz_j - mults_j).  executed + reused + skipped = dense.

Actions (per output position and unit, then summed): ``indirection.read`` P + mults (iiT entries and wiT
entries); ``ifmap_spad.read`` P; ``weight_spad.read`` mults (the unique weight); ``mult.random`` mults;
``add.random`` leaf + aggregation adds + one accumulate per product + array psum reduction;
``psum_spad.read``/``write`` one per accumulate and per reduction add; spad fills, NoC, GLB and DRAM as
above.  Energy comes from the table (``eyeriss-45nm`` by default, the baseline's).
"""
from accelsim.accelerators.ucnn.config import UcnnConfig
from accelsim.accelerators.ucnn.model import Ucnn
from accelsim.accelerators.ucnn.plan import UcnnPlan

__all__ = ["Ucnn", "UcnnConfig", "UcnnPlan"]
