"""numba kernels: plain functions over arrays and scalars.

Kernels take no config objects, raise nothing and read no module globals; a pure-Python wrapper next to
each caller validates inputs and allocates outputs.  Every kernel has a slow reference in tests/reference/.
"""
