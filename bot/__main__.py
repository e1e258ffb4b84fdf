"""``python -m bot`` is ``python run.py``."""

import sys

from bot.faces.cli import main

sys.exit(main())
