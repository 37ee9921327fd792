"""``python -m seqlab`` runs the command line."""

from seqlab.cli.main import run

if __name__ == "__main__":
    run()
