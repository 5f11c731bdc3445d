"""`python -m cli` runs the fwadvise command line."""

from cli.app import main

main()
