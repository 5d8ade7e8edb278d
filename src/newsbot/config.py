"""Configuration: the defaults here, then a YAML file, then NEWSBOT_* environment variables;
validated (types, ranges, choices) and loaded once."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import yaml

from newsbot.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES = PACKAGE_DIR / "resources"
SAMPLE_PAGE = RESOURCES / "sample-guancheng-2020-05.txt"
SAMPLE_SOURCE = "郑州日报·管城区新闻"
CONFIG_NAME = "newsbot.yaml"
# Where a config file is looked for, relative to the working folder, when none is named: the
# layout ``newsbot init`` writes, then a checkout of this repository.
CONFIG_SEARCH = (Path(CONFIG_NAME), Path("config") / CONFIG_NAME)
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def default_data_dir() -> Path:
    """State of a run with no config file: the user's state folder, never the package's."""
    return platformdirs.user_state_path("newsbot")


def setting(
    default: object = dataclasses.MISSING,
    doc: str = "",
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
    shown: str | None = None,
    factory: typing.Callable[[], object] | None = None,
) -> typing.Any:
    """A config field: its default, what it means, and the values it accepts (``shown``: how the
    default reads in the docs when it is not a plain value)."""
    metadata = {"doc": doc, "low": low, "high": high, "choices": choices, "shown": shown}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class TelegramConfig:
    """Settings of the Telegram adapter; the token itself only ever comes from the environment."""

    admin_ids: tuple[int, ...] = setting((), "user ids allowed to add, delete and reload articles")
    base_url: str | None = setting(None, "a self-hosted Bot API server (…/bot)", shown="Telegram's")
    base_file_url: str | None = setting(None, "its file URL (derived when unset)", shown="derived")
    proxy_url: str | None = setting(None, "HTTP(S) or SOCKS proxy for reaching Telegram")
    webhook_url: str | None = setting(None, "public HTTPS URL for webhook mode (else long polling)")
    webhook_listen: str = setting("127.0.0.1", "address the webhook server listens on")
    webhook_port: int = setting(8443, "port the webhook server listens on", low=1, high=65535)
    webhook_max_bytes: int = setting(
        1_000_000, "largest webhook body read (larger calls refused)", low=10_000, high=50_000_000
    )
    questions_per_minute: int = setting(10, "questions per user per minute", low=1, high=1000)
    context_ttl_seconds: int = setting(
        300, "how long a follow-up leans on the previous question", low=0, high=86400
    )
    max_upload_bytes: int = setting(
        5_000_000, "largest document an admin may upload", low=1, high=50_000_000
    )
    latest_count: int = setting(5, "articles /latest lists by default", low=1, high=20)
    list_page_size: int = setting(10, "articles per page of /list", low=1, high=50)
    digest_hour: int = setting(
        8, "hour (local time) of the daily subscription digest", low=0, high=23
    )


@dataclass(frozen=True)
class WebConfig:
    """Fetching pages and feeds: limits, and how often the running bot polls its feeds."""

    timeout_seconds: float = setting(
        15, "per-request timeout for pages and feeds", low=0.1, high=300
    )
    max_page_bytes: int = setting(
        5_000_000, "largest page or feed read (reading stops there)", low=1000, high=100_000_000
    )
    interval_minutes: float = setting(
        30, "how often the running bot polls its feeds (0: never)", low=0, high=10080
    )
    max_entries_per_poll: int = setting(
        50, "new entries imported per feed and poll (the rest wait for the next)", low=1, high=1000
    )


@dataclass(frozen=True)
class Config:
    """Everything the bot reads from configuration; loaded once and passed down."""

    corpus_dir: Path = setting(
        Path("corpus"),
        "the articles, one Markdown file each",
        shown="corpus/ beside the config file, else in the working folder",
    )
    data_dir: Path = setting(
        doc="state and caches (rebuildable)",
        factory=default_data_dir,
        shown="data/ beside the config file, else the user's state folder",
    )
    userdict: Path | None = setting(
        RESOURCES / "userdict.txt", "jieba user dictionary of local names", shown="bundled"
    )
    stopwords: Path | None = setting(
        RESOURCES / "stopwords.txt", "function words never indexed", shown="bundled"
    )
    synonyms: Path | None = setting(
        RESOURCES / "synonyms.yaml",
        "canonical: [variants], for questions and passages",
        shown="bundled",
    )
    calibration: Path = setting(
        RESOURCES / "calibration.yaml",
        "the fitted model turning measurements of an answer into its confidence",
        shown="bundled",
    )
    answer_max_chars: int = setting(150, "longest answer, in characters", low=20, high=2000)
    max_sources: int = setting(3, "articles named under an answer", low=1, high=10)
    min_confidence: float = setting(
        0.4,
        "calibrated confidence an answer needs (else the bot says it does not know)",
        low=0,
        high=1,
    )
    doubtful_confidence: float = setting(
        0.7,
        "answers below this confidence are listed by /stats as doubtful",
        low=0,
        high=1,
    )
    watch_seconds: float = setting(
        2,
        "how often a running bot or console checks the corpus folder for other writers' changes",
        low=0.1,
        high=3600,
    )
    lock_wait_seconds: float = setting(
        30, "how long a write waits for another process writing the same corpus", low=0, high=3600
    )
    topic_min_score: float = setting(
        0.6,
        "how strongly a new article must be about a subscribed topic to be pushed (0–1)",
        low=0,
        high=1,
    )
    latest_listed: int = setting(5, "articles a 「最近有什么新闻」 answer lists", low=1, high=20)
    passage_max_chars: int = setting(300, "passage length", low=50, high=5000)
    bm25_k1: float = setting(1.5, "BM25Okapi k1", low=0, high=10)
    bm25_b: float = setting(0.75, "BM25Okapi b", low=0, high=1)
    bm25_epsilon: float = setting(0.25, "BM25Okapi epsilon (idf floor)", low=0, high=1)
    compiled_min_passages: int = setting(
        50_000,
        "index size from which the bot and console score by the compiled kernel (faster; "
        "numba takes about 120 MB more memory)",
        low=0,
        high=10**12,
    )
    log_level: str = setting("INFO", "log level of the bot", choices=LOG_LEVELS)
    today: datetime.date | None = setting(
        None, "the day 今天/上周/最近三天 count from (YYYY-MM-DD)", shown="the current date"
    )
    telegram: TelegramConfig = setting(factory=TelegramConfig)
    web: WebConfig = setting(factory=WebConfig)

    @property
    def state_dir(self) -> Path:
        """Caches and state of this corpus folder under the data dir (corpora may share one)."""
        key = hashlib.sha256(str(self.corpus_dir.resolve()).encode()).hexdigest()[:12]
        return self.data_dir / "corpora" / key


ENV_KEYS: Mapping[str, str] = {
    "NEWSBOT_CORPUS_DIR": "corpus_dir",
    "NEWSBOT_DATA_DIR": "data_dir",
    "NEWSBOT_LOG_LEVEL": "log_level",
    "NEWSBOT_TODAY": "today",
    "NEWSBOT_ADMIN_IDS": "telegram.admin_ids",
    "NEWSBOT_TELEGRAM_BASE_URL": "telegram.base_url",
    "NEWSBOT_TELEGRAM_BASE_FILE_URL": "telegram.base_file_url",
    "NEWSBOT_TELEGRAM_PROXY_URL": "telegram.proxy_url",
    "NEWSBOT_TELEGRAM_WEBHOOK_URL": "telegram.webhook_url",
    "NEWSBOT_TELEGRAM_WEBHOOK_LISTEN": "telegram.webhook_listen",
    "NEWSBOT_TELEGRAM_WEBHOOK_PORT": "telegram.webhook_port",
    "NEWSBOT_TELEGRAM_WEBHOOK_MAX_BYTES": "telegram.webhook_max_bytes",
}


def find_config(
    path: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path | None:
    """The config file to read: ``path``, else $NEWSBOT_CONFIG, else ./newsbot.yaml or
    ./config/newsbot.yaml; None when there is none (the defaults apply)."""
    env = os.environ if env is None else env
    if path is not None:
        return path
    if env.get("NEWSBOT_CONFIG"):
        return Path(env["NEWSBOT_CONFIG"])
    here = Path.cwd() if cwd is None else cwd
    return next((here / p for p in CONFIG_SEARCH if (here / p).is_file()), None)


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Build the config from the file ``find_config`` names (none: the defaults), then the
    environment, then explicit overrides such as command-line options."""
    env = os.environ if env is None else env
    here = Path.cwd() if cwd is None else cwd
    source = find_config(path, env, here)
    raw = _read_yaml(source) if source is not None else {}
    base = source.resolve().parent if source is not None else here
    if source is not None and "data_dir" not in raw:
        raw = {**raw, "data_dir": "data"}
    config = _build(Config, raw, str(source or "默认配置"), base)
    for key, dotted in ENV_KEYS.items():
        if env.get(key):
            config = _set(config, dotted, env[key], key, here)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            config = _set(config, dotted, value, f"--{dotted.replace('_', '-')}", here)
    return config


def _read_yaml(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "不是 UTF-8 文本"
        raise ConfigError(f"无法读取配置文件 {path}：{reason}") from None
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
    """An instance of the config dataclass ``cls`` from ``raw``; relative paths, given or
    default, are relative to ``base``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{where}：未知的配置项 {key!r}（可用：{', '.join(sorted(fields))}）")
        values[key] = _checked(cls, fields[key], value, f"{where}: {key}", base)
    built = cls(**values)
    relative = {
        name: base / value
        for name, f in fields.items()
        if name not in values
        and isinstance(value := getattr(built, name), Path)
        and not value.is_absolute()
    }
    return dataclasses.replace(built, **relative) if relative else built


def check_setting(dotted: str, value: object, where: str) -> None:
    """A ConfigError naming ``where`` unless ``value`` suits config key ``dotted`` (type and
    range), as in a config file: for command-line options that stand for a key."""
    _set(Config(), dotted, value, where, Path.cwd())


def _set(config: Config, dotted: str, value: object, where: str, base: Path) -> Config:
    head, _, rest = dotted.partition(".")
    if rest:
        inner = getattr(config, head)
        f = next(f for f in dataclasses.fields(inner) if f.name == rest)
        new_inner = dataclasses.replace(
            inner, **{rest: _checked(type(inner), f, value, where, base)}
        )
        return dataclasses.replace(config, **{head: new_inner})
    f = next(f for f in dataclasses.fields(Config) if f.name == head)
    return dataclasses.replace(config, **{head: _checked(Config, f, value, where, base)})


def _checked(cls: type, f: dataclasses.Field, value: object, where: str, base: Path) -> object:
    """``value`` for field ``f`` of ``cls``: converted to its type, then held to its range or
    choices."""
    value = _coerce(typing.get_type_hints(cls)[f.name], value, where, base)
    meta = f.metadata
    if meta.get("choices"):
        upper = str(value).upper()
        if upper not in meta["choices"]:
            raise ConfigError(
                f"{where} 必须是 {' / '.join(meta['choices'])} 之一，而不是 {value!r}"
            )
        return upper
    low, high = meta.get("low"), meta.get("high")
    for number in value if isinstance(value, tuple) else (value,):
        if isinstance(number, int | float) and not (
            (low is None or number >= low) and (high is None or number <= high)
        ):
            raise ConfigError(f"{where} 必须在 {_num(low)} 到 {_num(high)} 之间，而不是 {number}")
    return value


def _num(value: float | None) -> str:
    return "…" if value is None else f"{value:g}"


def _coerce(hint: object, value: object, where: str, base: Path) -> object:
    """Check ``value`` against a field's type, converting strings from the environment."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or value == "":
            return None
        return _coerce(options[0], value, where, base)
    if dataclasses.is_dataclass(hint):
        if value is None:  # a section whose keys are all commented out
            value = {}
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
    if hint is datetime.date:
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{where} 必须是 YYYY-MM-DD 格式的日期，而不是 {value!r}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} 必须是字符串")
        return value
    raise ConfigError(f"{where}：不支持的类型")  # pragma: no cover


@dataclass(frozen=True)
class Documented:
    """One config key as the docs show it."""

    key: str
    default: str
    doc: str
    value: object


def documented(cls: type = Config, prefix: str = "") -> Iterator[Documented]:
    """Every config key (nested ones dotted) with its default as the docs show it and its
    meaning: the README's table and ``newsbot init``'s file are made from, or checked against,
    this."""
    defaults = cls()
    for f in dataclasses.fields(cls):
        value = getattr(defaults, f.name)
        if dataclasses.is_dataclass(value):
            yield from documented(type(value), f"{prefix}{f.name}.")
            continue
        shown = f.metadata.get("shown")
        doc = f.metadata.get("doc", "")
        yield Documented(prefix + f.name, shown or _shown(value), doc, value)


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, Path):
        return f"{value}/"
    return str(value)
