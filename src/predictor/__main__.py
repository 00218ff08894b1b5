"""``python -m predictor`` runs the CLI."""

from predictor.entrypoints.cli import main

if __name__ == "__main__":
    main()
