"""User errors: one clear message for the person who caused them, never a traceback."""


class NewsbotError(Exception):
    """A user error; its message is shown as is (simplified Chinese) and changes nothing."""


class ConfigError(NewsbotError):
    """The configuration file or environment is invalid."""


class CorpusError(NewsbotError):
    """An article or an import file is invalid, or an id is unknown."""
