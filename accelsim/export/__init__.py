"""PyTorch model -> trace exporter (optional extra: ``pip install torch==2.13.0``).

Importing this package imports torch; ``accelsim`` itself never does.
"""
from accelsim.export.exporter import export_model

__all__ = ["export_model"]
