"""`python -m ddd_llm.cli`: the same as the `ddd-llm` command."""

from ddd_llm.cli.app import main

main()
