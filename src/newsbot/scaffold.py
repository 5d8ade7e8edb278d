"""``newsbot init``: a folder ready to run — a commented config, a corpus folder (empty, or the
bundled sample page imported) and copies of the dictionaries to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from newsbot.config import CONFIG_NAME, RESOURCES, SAMPLE_PAGE, SAMPLE_SOURCE, documented
from newsbot.corpus import Corpus
from newsbot.corpus.importers import parse_import
from newsbot.corpus.store import atomic_write
from newsbot.errors import NewsbotError, os_reason

DICTIONARIES = {
    "userdict": "userdict.txt",
    "stopwords": "stopwords.txt",
    "synonyms": "synonyms.yaml",
}
# Keys the written file sets; every other key is written commented out, with its default.
WRITTEN = {"corpus_dir": "corpus", "data_dir": "data", **DICTIONARIES, "telegram.admin_ids": "[]"}
_HEADER = """\
# newsbot configuration, written by `newsbot init`. Relative paths are relative to this folder.
# Commented keys show their defaults. NEWSBOT_* environment variables override this file; the bot
# token comes from TELEGRAM_BOT_TOKEN only, never from a file.
"""
_COMMENT_COLUMN = 34


def config_text() -> str:
    """The commented config file ``init`` writes: every key, its default and its meaning."""
    lines = [_HEADER]
    section = ""
    for item in documented():
        head, _, key = item.key.rpartition(".")
        if head != section:
            lines.append(f"{head}:")
            section = head
        indent = "  " if head else ""
        if item.key in WRITTEN:
            entry = f"{indent}{key}: {WRITTEN[item.key]}"
        else:
            entry = f"{indent}# {key}: {_yaml_value(item.value)}".rstrip()
        lines.append(f"{entry.ljust(_COMMENT_COLUMN)} # {item.doc}")
    return "\n".join(lines) + "\n"


def _yaml_value(value: object) -> str:
    """A default as YAML reads it back; nothing for one that is not a plain value."""
    if value is None or isinstance(value, Path):
        return ""
    return (
        yaml.safe_dump(value, default_flow_style=True, allow_unicode=True)
        .strip()
        .removesuffix("...")
        .strip()
    )


def init(target: Path, sample: bool = False, force: bool = False) -> list[str]:
    """Write ``target``'s config, corpus folder and dictionaries; the lines to print next."""
    config = target / CONFIG_NAME
    if config.exists() and not force:
        raise NewsbotError(f"{config} 已存在；要覆盖请加 --force")
    corpus = target / WRITTEN["corpus_dir"]
    try:
        corpus.mkdir(parents=True, exist_ok=True)
        (target / WRITTEN["data_dir"]).mkdir(mode=0o700, exist_ok=True)
        for name in DICTIONARIES.values():
            if force or not (target / name).exists():
                shutil.copyfile(RESOURCES / name, target / name)
        atomic_write(config, config_text())
    except OSError as exc:
        raise NewsbotError(f"无法写入 {target}：{os_reason(exc)}") from None
    lines = [f"已创建 {config}、{corpus}/ 和词典文件。"]
    if sample:
        articles = parse_import(SAMPLE_PAGE.name, SAMPLE_PAGE.read_bytes(), source=SAMPLE_SOURCE)
        added = Corpus(corpus).add(articles.articles).added
        lines.append(f"已导入示例新闻 {len(added)} 篇（{SAMPLE_SOURCE}，2020年5月）。")
    where = "" if target.resolve() == Path.cwd().resolve() else f"cd {target} && "
    lines += [
        "接下来：",
        f"  {where}newsbot import 文件…            导入文章（.txt .md .jsonl 或报纸版面）",
        f"  {where}newsbot console                 在控制台提问",
        f"  export TELEGRAM_BOT_TOKEN=…  &&  {where}newsbot bot   运行 Telegram 机器人",
        f"  {where}newsbot check                   检查配置与连接",
    ]
    return lines
