"""`python -m fwadvise` runs the fwadvise command line."""

import os
import sys

# `python -m` puts the working folder first on sys.path, and fwadvise is often run inside
# repositories it did not write (to scan them): a `typer.py` or `argparse.py` there must not be
# imported in its place. fwadvise itself was already found through the installed path.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from fwadvise.cli.app import main

main()
