"""Traces: the layers of a network with their real (or seeded synthetic) tensors."""
from accelsim.trace.format import LayerSpec, LayerTrace, Trace
from accelsim.trace.io import load_trace, read_manifest, save_trace

__all__ = ["LayerSpec", "LayerTrace", "Trace", "load_trace", "read_manifest", "save_trace"]
