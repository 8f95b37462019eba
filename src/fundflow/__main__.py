"""``python -m fundflow``: the same command line as the ``fundflow`` script."""

from fundflow.cli import main

raise SystemExit(main())
