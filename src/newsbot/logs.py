"""Logging set-up: one handler on standard error, timestamps only on a terminal (journald and
docker add their own), and secrets removed from every record, tracebacks included."""

from __future__ import annotations

import logging
import sys

_FORMAT = "%(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces each secret wherever it appears in the formatted record: the
    message, its arguments and its traceback (request URLs carry the bot token)."""

    def __init__(self, fmt: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text


def setup_logging(level: int | str, timestamps: bool | None = None) -> None:
    """Log to standard error at ``level``; with a timestamp when it is a terminal."""
    stamp = sys.stderr.isatty() if timestamps is None else timestamps
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(("%(asctime)s " if stamp else "") + _FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):  # their request lines name the token's URL
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def redact(secret: str) -> None:
    """Never let ``secret`` reach the log from now on."""
    if not secret:
        return
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if isinstance(formatter, RedactingFormatter):
            formatter.secrets = (*formatter.secrets, secret)
        else:
            handler.setFormatter(RedactingFormatter(_FORMAT, (secret,)))
