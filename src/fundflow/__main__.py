"""``python -m fundflow``: the same command line as the ``fundflow`` script."""

from fundflow.cli import main

if __name__ == "__main__":  # a spawned worker imports this module: it must not run the command
    raise SystemExit(main())
