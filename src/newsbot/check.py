"""``newsbot check``: can the bot run here? Config, corpus, data folder and Telegram, each one
line; usable as a container or service health check."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from newsbot.config import TOKEN_ENV, Config
from newsbot.errors import os_reason


@dataclass(frozen=True)
class Check:
    """One thing checked, whether it holds, and what was found."""

    name: str
    ok: bool
    detail: str


def run_checks(config: Config, source: Path | None, offline: bool = False) -> list[Check]:
    """Every check, in the order a reader fixes them (the config was loaded: it is valid)."""
    checks = [
        Check("配置", True, str(source) if source else "未找到配置文件，使用内置默认值"),
        _corpus(config),
        _data_dir(config),
    ]
    token = os.environ.get(TOKEN_ENV, "").strip()
    if offline:
        checks.append(Check("Telegram", True, "已跳过（--offline）"))
    elif not token:
        checks.append(Check("Telegram", True, f"未设置 {TOKEN_ENV}，已跳过"))
    else:
        checks.append(_telegram(config, token))
    return checks


def _corpus(config: Config) -> Check:
    from newsbot.corpus import Corpus

    folder = config.corpus_dir
    if not folder.is_dir():
        return Check("文章目录", False, f"{folder} 不存在（newsbot init 可以创建）")
    if not os.access(folder, os.R_OK | os.X_OK):
        return Check("文章目录", False, f"{folder} 不可读")
    corpus = Corpus(folder)
    detail = f"{folder}：{len(corpus)} 篇文章"
    if corpus.problems:
        detail += f"，{len(corpus.problems)} 个文件无法读取（已跳过）"
    return Check("文章目录", True, detail)


def _data_dir(config: Config) -> Check:
    folder = config.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return Check("数据目录", False, f"{folder} 不可写：{os_reason(exc)}")
    return Check("数据目录", True, f"{folder}：可写")


def _telegram(config: Config, token: str) -> Check:
    from telegram.error import NetworkError

    from newsbot.logs import redact
    from newsbot.telegram.app import TokenRejected, get_me

    redact(token)
    try:
        me = asyncio.run(get_me(config, token))
    except TokenRejected:
        return Check("Telegram", False, f"令牌无效：Telegram 拒绝了 {TOKEN_ENV}")
    except NetworkError as exc:
        return Check("Telegram", False, f"无法连接 Telegram：{type(exc).__name__}")
    return Check("Telegram", True, f"已连接，机器人 @{me.username}")
