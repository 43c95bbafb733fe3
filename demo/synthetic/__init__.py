"""Synthetic demo files in the exact published layouts (one module per source; values are fictitious)."""
