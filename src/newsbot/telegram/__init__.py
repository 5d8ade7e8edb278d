"""The Telegram adapter: translates between python-telegram-bot and the engine, nothing more."""
