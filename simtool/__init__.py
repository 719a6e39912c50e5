"""simtool: a deterministic discrete-event simulator of delayed tools, for agents that must wait."""

__version__ = "0.2.0"

__all__ = ["__version__"]
