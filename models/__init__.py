"""Model definitions (nets.py) and the script that trains, prunes and exports them (make_traces.py)."""
