"""Shared fixtures: a tokenizer built once, and corpora copied into temporary folders."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from newsbot.config import SAMPLE_PAGE, Config, load_config
from newsbot.engine import Engine, tokenizer_for
from newsbot.index import compiled
from newsbot.text.tokenizer import Tokenizer

from .fake_bot_api import ADMIN, OFFLINE_BASE
from .paths import BUNDLED_CORPUS, REPO_CONFIG

# Property tests check behaviour, not speed: a busy machine (two test workers, a benchmark beside
# them) must not fail one for taking longer than hypothesis's default 200 ms per example.
settings.register_profile("newsbot", deadline=None)
settings.load_profile("newsbot")

SEED_PAGE = SAMPLE_PAGE


@pytest.fixture(scope="session", autouse=True)
def compiled_scoring() -> None:
    """The compiled kernel loaded before any test, so that every test scores by the same path
    (in a service it loads in the background, numpy scoring until then)."""
    compiled.load()


@pytest.fixture
def numpy_scoring():
    """Score by the numpy path for one test."""
    kernel = compiled.disable()
    yield
    compiled.restore(kernel)


@pytest.fixture(scope="session")
def base_config() -> Config:
    """The repository's configuration, read only."""
    return load_config(REPO_CONFIG, env={})


@pytest.fixture(scope="session")
def tokenizer(base_config: Config) -> Tokenizer:
    """The project's tokenizer with its user dictionary (jieba loads once per session)."""
    return tokenizer_for(base_config)


@pytest.fixture
def config(tmp_path: Path, base_config: Config) -> Config:
    """A config whose corpus is a copy of the bundled one and whose data dir is temporary."""
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    return dataclasses.replace(base_config, corpus_dir=corpus, data_dir=tmp_path / "data")


@pytest.fixture
def empty_config(tmp_path: Path, base_config: Config) -> Config:
    """A config with an empty corpus folder."""
    return dataclasses.replace(
        base_config, corpus_dir=tmp_path / "empty", data_dir=tmp_path / "data"
    )


@pytest.fixture
def engine(config: Config, tokenizer: Tokenizer) -> Engine:
    """An engine over a copy of the bundled corpus."""
    return Engine(config, tokenizer)


@pytest.fixture
def tg_config(config: Config) -> Config:
    """The bundled corpus's config with one admin, Telegram replaced by the offline fake and a
    low per-user question limit."""
    tg = dataclasses.replace(
        config.telegram, admin_ids=(ADMIN,), base_url=OFFLINE_BASE, questions_per_minute=3
    )
    return dataclasses.replace(config, telegram=tg)


@pytest.fixture
def tg_engine(tg_config: Config, tokenizer: Tokenizer) -> Engine:
    """An engine for the Telegram handler tests."""
    return Engine(tg_config, tokenizer)


@pytest.fixture
def web_engine(empty_config: Config, tokenizer: Tokenizer) -> Engine:
    """An engine over an empty corpus with small web limits, for tests against local servers:
    a one-second timeout, 200 KB pages, two new feed entries a poll."""
    empty_config.corpus_dir.mkdir()
    web = dataclasses.replace(
        empty_config.web, timeout_seconds=1.0, max_page_bytes=200_000, max_entries_per_poll=2
    )
    return Engine(dataclasses.replace(empty_config, web=web), tokenizer)
