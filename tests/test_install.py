"""The package outside the checkout: a wheel built from the tree, installed into a new virtual
environment in a temporary folder, used there as a newcomer (or the Dockerfile) would."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from .fake_bot_api import FakeBotAPI
from .paths import REPO_ROOT

TOKEN = "123456:INSTALL-test-token"


def _run(args, cwd: Path, env: dict | None = None, timeout: float = 120):
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False
    )
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A new venv holding the wheel; its dependencies are this environment's (by a .pth file, so
    no download), but not this checkout: the package imported there is the installed one."""
    tmp = tmp_path_factory.mktemp("install")
    tree = tmp / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO_ROOT / name, tree / name)
    shutil.copytree(
        REPO_ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(tree),
        ],
        cwd=tmp,
    )
    assert built.returncode == 0, built.stderr.decode()
    (wheel,) = (tmp / "dist").glob("newsbot-*.whl")
    env_dir = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=tmp)
    assert made.returncode == 0, made.stderr.decode()
    python = env_dir / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp)
    (Path(site.stdout.decode().strip()) / "deps.pth").write_text(
        sysconfig.get_path("purelib") + "\n", "utf-8"
    )
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        cwd=tmp,
    )
    assert installed.returncode == 0, installed.stderr.decode()
    return env_dir


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "VIRTUAL_ENV"))}
    return {**env, "HOME": extra.pop("HOME", env.get("HOME", "")), **extra}


def test_the_installed_package_is_not_the_checkout(venv, tmp_path):
    python = venv / "bin" / "python"
    where = _run([str(python), "-c", "import newsbot; print(newsbot.__file__)"], tmp_path, _env())
    assert Path(where.stdout.decode().strip()).is_relative_to(venv)
    version = _run([str(venv / "bin" / "newsbot"), "--version"], tmp_path, _env())
    assert version.returncode == 0 and version.stdout.decode().startswith("newsbot ")


def test_init_import_ask_from_the_wheel(venv, tmp_path):
    newsbot = str(venv / "bin" / "newsbot")
    package = Path(
        _run(
            [str(venv / "bin" / "python"), "-c", "import newsbot; print(newsbot.__file__)"],
            tmp_path,
            _env(),
        )
        .stdout.decode()
        .strip()
    ).parent
    before = sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts)
    env = _env(HOME=str(tmp_path / "home"))
    empty = _run([newsbot, "ask", "你好"], tmp_path, env)
    assert empty.returncode == 2 and "newsbot init" in empty.stderr.decode()
    made = _run([newsbot, "init", "site", "--sample"], tmp_path, env)
    assert made.returncode == 0, made.stderr.decode()
    site = tmp_path / "site"
    article = tmp_path / "news.txt"
    article.write_text(
        "管城区举办读书月活动\n6月8日，管城区举办读书月活动，共有300名市民参加。", "utf-8"
    )
    imported = _run([newsbot, "import", "--json", str(article)], site, env)
    assert imported.returncode == 0, imported.stderr.decode()
    assert len(json.loads(imported.stdout)["added"]) == 1
    asked = _run([newsbot, "ask", "--json", "读书月活动有多少名市民参加？"], site, env)
    assert asked.returncode == 0, asked.stderr.decode()
    answer = json.loads(asked.stdout)
    assert answer["found"] and "300名" in answer["answer"]
    sample = _run([newsbot, "ask", "--json", "谁到烟厂空气质量监测站点督导？"], site, env)
    assert "张艳敏" in json.loads(sample.stdout)["answer"]
    assert list((site / "data").glob("corpora/*/index/CURRENT"))
    after = sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts)
    assert after == before, "nothing is written into the installed package"
    assert not (tmp_path / "home").exists(), "with a config file, state stays beside it"


def _dockerfile() -> tuple[dict[str, str], list[str]]:
    """The NEWSBOT_* environment and the command of the Dockerfile."""
    text = (REPO_ROOT / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(NEWSBOT_\w+)=(\S+)", line))
    (command,) = re.findall(r"^CMD (\[.*\])$", text, re.M)
    return env, json.loads(command)


def test_the_dockerfiles_command_runs_in_a_clean_venv(venv, tmp_path):
    env_vars, command = _dockerfile()
    assert command[0] == "newsbot" and set(env_vars) == {"NEWSBOT_CORPUS_DIR", "NEWSBOT_DATA_DIR"}
    root = tmp_path / "srv"
    mapped = {k: str(root / Path(v).name) for k, v in env_vars.items()}
    Path(mapped["NEWSBOT_CORPUS_DIR"]).mkdir(parents=True)
    api = FakeBotAPI(TOKEN).start()
    env = _env(
        **mapped,
        HOME=str(tmp_path / "home"),
        TELEGRAM_BOT_TOKEN=TOKEN,
        NEWSBOT_TELEGRAM_BASE_URL=api.base_url,
    )
    executable = str(venv / "bin" / command[0])
    try:
        check = _run([executable, "check"], tmp_path, env)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
        assert "@newsbot_test_bot" in check.stdout.decode()
        with subprocess.Popen(
            [executable, *command[1:]],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ) as process:
            try:
                deadline = time.monotonic() + 60
                while "getUpdates" not in api.calls:
                    assert process.poll() is None, process.stdout.read().decode()
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=30) == 0
                log = process.stdout.read().decode()
            finally:
                if process.poll() is None:
                    process.kill()
    finally:
        api.stop()
    assert TOKEN not in log
    assert not re.search(r"^\d{4}-\d\d-\d\d", log, re.M), "no timestamps when not on a terminal"
