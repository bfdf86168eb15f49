"""ddd-llm: maintenance documentation extracted from a repository, every step cited."""

__version__ = "0.1.0"
