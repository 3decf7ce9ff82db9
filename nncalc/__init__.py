"""nncalc: a calculator for neural-network forward passes, worked out step by step."""

__version__ = "0.1.0"
