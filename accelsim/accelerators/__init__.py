"""Accelerator models behind one interface (see base.py); look them up by name in the registry."""
from accelsim.accelerators.base import Accelerator, LayerCounts
from accelsim.accelerators.registry import available, create, get, register

__all__ = ["Accelerator", "LayerCounts", "available", "create", "get", "register"]
