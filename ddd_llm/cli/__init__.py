"""The command line: the only package that uses typer and rich (app, console)."""
