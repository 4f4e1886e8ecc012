"""`python -m cluster.cli` is the `chordflow` command."""
import sys

from . import main

sys.exit(main())
