"""``python -m bot`` is ``python run.py``."""

import sys

from .cli import main

sys.exit(main())
