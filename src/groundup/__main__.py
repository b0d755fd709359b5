"""``python -m groundup`` is the ``groundup`` command."""

import sys

from groundup.cli import main

sys.exit(main())
