"""``python -m handnets`` is the ``handnets`` command."""

from handnets.cli import main

raise SystemExit(main())
