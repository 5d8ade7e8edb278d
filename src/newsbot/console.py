"""Interactive console: ask questions against the corpus in a terminal, or answer piped lines."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from newsbot.engine import Engine
from newsbot.render import render_answer
from newsbot.responder.followup import carried

HELP = """输入问题并回车即可提问（可以追问，如“那先进单位呢？”），也可以问“最近有什么新闻？”。
命令：
  :help   显示本帮助
  :debug  开关调试信息（意图、日期范围、检索词、类型、分数）
  :quit   退出（也可按 Ctrl-D）"""


def _setup_readline(history: Path) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - not on every platform
        return
    history.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)
    import atexit

    atexit.register(readline.write_history_file, history)


def _prompt_lines(prompt: str) -> Iterable[str]:
    while True:
        try:
            yield input(prompt)
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print()


def run_console(
    engine: Engine, lines: Iterable[str] | None = None, out: TextIO = sys.stdout
) -> None:
    """The REPL; with ``lines`` given (stdin not a terminal) answers each and returns at the end."""
    debug = False
    context = None  # the answer a follow-up leans on
    interactive = lines is None
    if interactive:
        engine.compile_scoring()
        _setup_readline(engine.config.data_dir / "console_history")
        n = len(engine.corpus)
        print(f"newsbot 控制台：新闻库共 {n} 篇文章。输入 :help 查看帮助，:quit 退出。", file=out)
        lines = _prompt_lines("问> ")
    for raw in lines:
        line = raw.strip()
        if line in (":quit", ":q", ":exit"):
            break
        if line == ":help":
            print(HELP, file=out)
            continue
        if line == ":debug":
            debug = not debug
            print(f"调试信息已{'打开' if debug else '关闭'}。", file=out)
            continue
        if not line and interactive:
            continue
        answer = engine.ask(line, context=context)
        context = carried(answer, context)
        print(render_answer(answer, debug=debug), file=out)
        if interactive:
            print(file=out)
        out.flush()
