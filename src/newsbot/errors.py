"""User errors: one clear message for the person who caused them, never a traceback."""

import errno


class NewsbotError(Exception):
    """A user error; its message is shown as is (simplified Chinese) and changes nothing."""


class ConfigError(NewsbotError):
    """The configuration file or environment is invalid."""


class CorpusError(NewsbotError):
    """An article or an import file is invalid, or an id is unknown."""


_OS_REASONS = {
    errno.EROFS: "只读文件系统",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.ENOENT: "文件不存在",
}


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, in words a reader can read (the usual causes in Chinese)."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
