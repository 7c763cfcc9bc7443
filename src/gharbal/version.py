"""The package version (one place: `gharbal.__version__`, the report and ``gharbal --version`` read it)."""

__version__ = "0.1.0"
