"""Configuration: defaults, then a YAML file, then NEWSBOT_* environment variables; validated."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from newsbot.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "newsbot.yaml"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"


@dataclass(frozen=True)
class TelegramConfig:
    """Settings of the Telegram adapter; the token itself only ever comes from the environment."""

    admin_ids: tuple[int, ...] = ()
    base_url: str | None = None
    base_file_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    questions_per_minute: int = 10
    context_ttl_seconds: int = 300
    max_upload_bytes: int = 5_000_000
    latest_count: int = 5
    list_page_size: int = 10


@dataclass(frozen=True)
class Config:
    """Everything the bot reads from configuration; loaded once and passed down."""

    corpus_dir: Path = REPO_ROOT / "corpus"
    data_dir: Path = REPO_ROOT / "data"
    userdict: Path | None = REPO_ROOT / "config" / "userdict.txt"
    stopwords: Path | None = REPO_ROOT / "config" / "stopwords.txt"
    synonyms: Path | None = REPO_ROOT / "config" / "synonyms.yaml"
    answer_max_chars: int = 150
    max_sources: int = 3
    min_confidence: float = 0.4
    passage_max_chars: int = 300
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    bm25_epsilon: float = 0.25
    log_level: str = "INFO"
    telegram: TelegramConfig = field(default_factory=TelegramConfig)

    @property
    def state_dir(self) -> Path:
        """Caches and state of this corpus folder under the data dir (corpora may share one)."""
        key = hashlib.sha256(str(self.corpus_dir.resolve()).encode()).hexdigest()[:12]
        return self.data_dir / "corpora" / key


ENV_KEYS: Mapping[str, str] = {
    "NEWSBOT_CORPUS_DIR": "corpus_dir",
    "NEWSBOT_DATA_DIR": "data_dir",
    "NEWSBOT_LOG_LEVEL": "log_level",
    "NEWSBOT_ADMIN_IDS": "telegram.admin_ids",
    "NEWSBOT_TELEGRAM_BASE_URL": "telegram.base_url",
    "NEWSBOT_TELEGRAM_BASE_FILE_URL": "telegram.base_file_url",
    "NEWSBOT_TELEGRAM_WEBHOOK_URL": "telegram.webhook_url",
    "NEWSBOT_TELEGRAM_WEBHOOK_LISTEN": "telegram.webhook_listen",
    "NEWSBOT_TELEGRAM_WEBHOOK_PORT": "telegram.webhook_port",
}


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Build the config from the file (``path``, else $NEWSBOT_CONFIG, else config/newsbot.yaml),
    then the environment, then explicit overrides such as command-line options."""
    env = os.environ if env is None else env
    explicit = path or (Path(env["NEWSBOT_CONFIG"]) if env.get("NEWSBOT_CONFIG") else None)
    source = explicit or DEFAULT_CONFIG
    raw: dict[str, object] = {}
    if explicit is not None or source.exists():
        raw = _read_yaml(source)
    base = source.resolve().parent
    config = _build(Config, raw, str(source), base)
    for key, dotted in ENV_KEYS.items():
        if env.get(key):
            config = _set(config, dotted, env[key], key, Path.cwd())
    for dotted, value in (overrides or {}).items():
        if value is not None:
            config = _set(config, dotted, value, f"--{dotted}", Path.cwd())
    return config


def _read_yaml(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}：{exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f" 第 {mark.line + 1} 行" if mark else ""
        raise ConfigError(f"配置文件 {path}{where} 不是合法的 YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"配置文件 {path} 的顶层必须是键值映射")
    return data


def _build(cls: type, raw: Mapping[str, object], where: str, base: Path) -> typing.Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key not in names:
            raise ConfigError(f"{where}：未知的配置项 {key!r}（可用：{', '.join(sorted(names))}）")
        values[key] = _coerce(hints[key], value, f"{where}: {key}", base)
    return cls(**values)


def _set(config: Config, dotted: str, value: object, where: str, base: Path) -> Config:
    head, _, rest = dotted.partition(".")
    if rest:
        inner = getattr(config, head)
        hint = typing.get_type_hints(type(inner))[rest]
        new_inner = dataclasses.replace(inner, **{rest: _coerce(hint, value, where, base)})
        return dataclasses.replace(config, **{head: new_inner})
    hint = typing.get_type_hints(Config)[head]
    return dataclasses.replace(config, **{head: _coerce(hint, value, where, base)})


def _coerce(hint: object, value: object, where: str, base: Path) -> object:
    """Check ``value`` against a field's type, converting strings from the environment."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(options[0], value, where, base)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where} 必须是键值映射")
        return _build(hint, value, where, base)  # type: ignore[arg-type]
    if origin is tuple:
        if isinstance(value, str):
            value = [v for v in value.replace(" ", "").split(",") if v]
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} 必须是列表")
        return tuple(_coerce(typing.get_args(hint)[0], v, where, base) for v in value)
    if hint is Path:
        if not isinstance(value, str | Path) or not str(value):
            raise ConfigError(f"{where} 必须是路径")
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path).resolve()
    if hint is bool:
        if isinstance(value, str):
            value = {"true": True, "1": True, "false": False, "0": False}.get(value.lower(), value)
        if not isinstance(value, bool):
            raise ConfigError(f"{where} 必须是 true 或 false")
        return value
    if hint in (int, float):
        if isinstance(value, str):
            try:
                value = hint(value)  # type: ignore[operator]
            except ValueError:
                raise ConfigError(f"{where} 必须是数字，而不是 {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} 必须是数字")
        if hint is int and not float(value).is_integer():
            raise ConfigError(f"{where} 必须是整数")
        return hint(value)  # type: ignore[operator]
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} 必须是字符串")
        return value
    raise ConfigError(f"{where}：不支持的类型")  # pragma: no cover
