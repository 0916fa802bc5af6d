"""dailybrief: a self-hosted news brief you can trust."""

__version__ = "0.1.0"
__all__ = ["__version__"]
