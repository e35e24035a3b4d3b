"""``python -m govassess …`` runs the same command as ``govassess …``."""

import sys

from govassess.cli import main

sys.exit(main())
