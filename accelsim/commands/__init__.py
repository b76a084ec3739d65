"""Sub-commands of the ``accelsim`` command line, one module each.

Each module defines ``register(subparsers)`` which adds its parser(s) and sets ``func`` (a callable taking
the parsed args and returning an exit code).  To add a command, add its module name to ``COMMANDS``.
"""
COMMANDS = ["demo", "trace_cmd", "compress_cmd", "simulate_cmd", "compare_cmd", "figures_cmd", "sweep_cmd", "prune_cmd", "designs_cmd"]
