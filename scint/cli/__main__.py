"""`python -m scint.cli` is the `scint` command."""

from scint.cli.app import main

main()
