"""PolicyGuard entry point: ``python run.py [command]`` (see ``python run.py --help``)."""

import sys

from bot.faces.cli import main

if __name__ == "__main__":
    sys.exit(main())
