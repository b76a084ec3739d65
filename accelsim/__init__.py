"""accelsim: a cycle-level simulator of sparse DNN accelerators driven by real pruned tensors."""
from accelsim.errors import AccelsimError, ConfigError, ConservationError, FormatError, TraceError

__version__ = "0.1.0"
__all__ = ["AccelsimError", "ConfigError", "ConservationError", "FormatError", "TraceError", "__version__"]
