"""``python -m skfashion.cli``."""

import sys

from . import main

sys.exit(main())
