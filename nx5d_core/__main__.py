"""``python -m nx5d_core`` runs the ``nx5d`` command."""

import sys

from .cli import main

sys.exit(main())
