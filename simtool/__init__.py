"""simtool: a deterministic discrete-event simulator of delayed tools, for agents that must wait."""

__version__ = "0.1.0"

__all__ = ["__version__"]
