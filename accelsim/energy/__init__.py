"""Energy: per-action energy tables kept as data (``tables/*.yaml``) and the code that prices counts."""
from accelsim.energy.table import EnergyBreakdown, EnergyTable, list_tables

__all__ = ["EnergyBreakdown", "EnergyTable", "list_tables"]
