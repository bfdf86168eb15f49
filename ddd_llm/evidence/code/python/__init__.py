"""The Python analyzer, one module per concern; `python_code` registers it."""
