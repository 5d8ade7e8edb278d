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


def test_readme_table_lists_every_key_with_its_default():
    import re

    from newsbot.config import documented

    from .paths import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|", section, re.M)
    assert rows == [(d.key, d.default) for d in documented()]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("min_confidence: 7\n", "0 到 1 之间"),
        ("answer_max_chars: 5\n", "20 到 2000"),
        ("log_level: loud\n", "DEBUG / INFO"),
        ("telegram:\n  webhook_port: 70000\n", "webhook_port"),
        ("telegram:\n  admin_ids: [1, -0.5]\n", "整数"),
    ],
)
def test_values_out_of_range_are_errors(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path, env={})


def test_log_level_is_case_insensitive(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("log_level: debug\n", "utf-8")
    assert load_config(path, env={}).log_level == "DEBUG"
    assert load_config(env={"NEWSBOT_LOG_LEVEL": "warning"}, cwd=tmp_path).log_level == "WARNING"


def test_config_is_found_in_order(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "newsbot.yaml").write_text("max_sources: 1\n", "utf-8")
    assert load_config(env={}, cwd=tmp_path).max_sources == 1
    (tmp_path / "newsbot.yaml").write_text("max_sources: 2\n", "utf-8")
    assert load_config(env={}, cwd=tmp_path).max_sources == 2
    named = tmp_path / "named.yaml"
    named.write_text("max_sources: 3\n", "utf-8")
    assert load_config(env={"NEWSBOT_CONFIG": str(named)}, cwd=tmp_path).max_sources == 3
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text("max_sources: 4\n", "utf-8")
    env = {"NEWSBOT_CONFIG": str(named)}
    assert load_config(explicit, env=env, cwd=tmp_path).max_sources == 4


def test_without_a_config_state_stays_out_of_the_package(tmp_path):
    from newsbot.config import PACKAGE_DIR, RESOURCES

    config = load_config(env={}, cwd=tmp_path)
    assert config.corpus_dir == tmp_path / "corpus"
    assert not config.data_dir.is_relative_to(PACKAGE_DIR)
    assert config.userdict == RESOURCES / "userdict.txt" and config.userdict.exists()


def test_a_config_file_keeps_state_beside_it(tmp_path):
    path = tmp_path / "site" / "newsbot.yaml"
    path.parent.mkdir()
    path.write_text("max_sources: 2\n", "utf-8")
    config = load_config(path, env={})
    assert config.corpus_dir == path.parent / "corpus"
    assert config.data_dir == path.parent / "data"


def test_init_file_reads_back_as_the_defaults(tmp_path):
    import dataclasses

    from newsbot.scaffold import config_text

    path = tmp_path / "newsbot.yaml"
    uncommented = "\n".join(
        line.replace("# ", "", 1) if line.lstrip().startswith("# ") and ":" in line else line
        for line in config_text().splitlines()
        if not line.startswith("# ")
    )
    path.write_text(uncommented, "utf-8")
    config = load_config(path, env={})
    defaults = load_config(env={}, cwd=tmp_path)
    for f in dataclasses.fields(Config):
        if f.name not in ("corpus_dir", "data_dir", "userdict", "stopwords", "synonyms"):
            assert getattr(config, f.name) == getattr(defaults, f.name), f.name
