"""Run newsbot: ``python bot.py`` starts the Telegram bot; ``python bot.py ARGS`` = the CLI."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from newsbot.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["bot"]))
