"""``python -m seqlab`` runs the command line."""

import sys

from seqlab.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
