"""Results tables and figures: figures are pure functions of saved results (never of live simulations)."""
