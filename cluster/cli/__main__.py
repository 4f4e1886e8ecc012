"""`python -m cluster.cli` is the `chordflow` command."""
import sys

from cluster.cli import main

sys.exit(main())
