from pathlib import Path

import pytest

from newsbot.config import Config, load_config
from newsbot.errors import ConfigError


def test_defaults_without_a_file(tmp_path):
    config = load_config(env={"NEWSBOT_CONFIG": ""}, path=None)
    assert isinstance(config, Config)
    assert config.answer_max_chars == 150


def test_file_values_and_relative_paths(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "corpus_dir: articles\nmax_sources: 2\ntelegram:\n  admin_ids: [1, 2]\n", "utf-8"
    )
    config = load_config(path, env={})
    assert config.corpus_dir == tmp_path / "articles"
    assert config.max_sources == 2
    assert config.telegram.admin_ids == (1, 2)


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("corpus_dir: articles\n", "utf-8")
    env = {
        "NEWSBOT_CORPUS_DIR": str(tmp_path / "other"),
        "NEWSBOT_DATA_DIR": str(tmp_path / "d"),
        "NEWSBOT_ADMIN_IDS": "5, 6",
        "NEWSBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
    }
    config = load_config(path, env=env)
    assert config.corpus_dir == tmp_path / "other"
    assert config.data_dir == tmp_path / "d"
    assert config.telegram.admin_ids == (5, 6)
    assert config.telegram.base_url == "http://127.0.0.1:9/bot"


def test_config_file_from_environment(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("max_sources: 1\n", "utf-8")
    assert load_config(env={"NEWSBOT_CONFIG": str(path)}).max_sources == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: red\n", "未知的配置项 'colour'"),
        ("max_sources: many\n", "max_sources"),
        ("max_sources: 1.5\n", "整数"),
        ("telegram: 3\n", "telegram"),
        ("telegram:\n  admin_ids: [x]\n", "admin_ids"),
        ("telegram:\n  token: abc\n", "未知的配置项 'token'"),
        ("a: [\n", "第 2 行"),
        ("- 1\n", "顶层"),
    ],
)
def test_bad_config_names_the_key_and_file(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, env={})
    assert "c.yaml" in str(info.value)


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="无法读取"):
        load_config(Path(tmp_path / "nope.yaml"), env={})


def test_bad_admin_ids_in_environment():
    with pytest.raises(ConfigError, match="NEWSBOT_ADMIN_IDS"):
        load_config(env={"NEWSBOT_ADMIN_IDS": "alice"})
