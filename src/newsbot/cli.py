"""The newsbot command line: import and manage articles, ask, evaluate, run the console or bot."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from newsbot.config import Config, load_config
from newsbot.errors import NewsbotError

if TYPE_CHECKING:
    from newsbot.engine import Engine
    from newsbot.responder import Responder

log = logging.getLogger("newsbot")
EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line in Chinese and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"newsbot: 参数错误：{message}（newsbot --help 查看用法）\n")
        raise SystemExit(EXIT_USER_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """All subcommands; their help texts are the --help output."""
    parser = _Parser(
        prog="newsbot", description="本地新闻问答机器人（控制台、命令行与 Telegram）。"
    )
    parser.add_argument(
        "--config", type=Path, help="配置文件（默认 $NEWSBOT_CONFIG 或 config/newsbot.yaml）"
    )
    parser.add_argument(
        "--corpus", type=Path, help="文章目录（默认 $NEWSBOT_CORPUS_DIR 或 corpus/）"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="状态与缓存目录（默认 $NEWSBOT_DATA_DIR 或 data/）"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="输出详细日志")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("import", help="导入文章：报纸版面、.md、.txt 或 .jsonl")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--year", type=int, help="版面只写月日时所用的年份（默认从版面推断）")
    p.add_argument("--source", help="来源名称（默认文件名）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    p = sub.add_parser("list", help="列出文章")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="显示一篇文章")
    p.add_argument("id")
    p = sub.add_parser("delete", help="删除一篇文章")
    p.add_argument("id")

    p = sub.add_parser("ask", help="提问；不给问题时从标准输入逐行读取")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="每个问题输出一行 JSON")
    p.add_argument("--max-chars", type=int, help="答案最长字数")

    sub.add_parser("console", help="交互式控制台")
    p = sub.add_parser("eval", help="在问答集上评测（hit@1、hit@5、答案命中率）")
    p.add_argument("qa", type=Path)
    p.add_argument("--contexts", type=Path, help="用这个 .jsonl 段落文件建索引，而不是文章目录")
    p.add_argument("--limit", type=int, help="只评测前 N 个问题")
    p.add_argument("--json", action="store_true")
    sub.add_parser("index", help="重建索引并显示其规模")
    sub.add_parser("bot", help="运行 Telegram 机器人")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``newsbot`` console script."""
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "bot" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(
            args.config, overrides={"corpus_dir": args.corpus, "data_dir": args.data_dir}
        )
        logging.getLogger().setLevel(
            logging.DEBUG
            if args.verbose
            else (config.log_level if args.command == "bot" else "WARNING")
        )
        return COMMANDS[args.command](config, args)
    except NewsbotError as exc:
        sys.stderr.write(f"newsbot: {exc}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _engine(config: Config) -> Engine:
    """The engine, imported lazily so that --help and list stay fast."""
    from newsbot.engine import Engine

    return Engine(config)


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    """Import files; duplicates and bad rows are reported, the rest stored."""
    engine = _engine(config)
    summary = {"added": [], "duplicates": [], "errors": []}
    for path in args.files:
        result, report = engine.import_file(path, year=args.year, source=args.source)
        summary["added"] += [{"id": a.id, "title": a.title, "date": a.date} for a in result.added]
        summary["duplicates"] += [
            {"title": a.title, "existing_id": existing} for a, existing in result.duplicates
        ]
        summary["errors"] += list(report.errors)
    engine.save()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for a in summary["added"]:
            print(f"已导入 {a['id']}  {a['title']}")
        for d in summary["duplicates"]:
            print(f"重复，未导入：{d['title']}（已有 {d['existing_id']}）")
        for e in summary["errors"]:
            print(f"出错，已跳过：{e}", file=sys.stderr)
        print(f"共导入 {len(summary['added'])} 篇，重复 {len(summary['duplicates'])} 篇。")
    return 0


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    """List articles, newest first."""
    from newsbot.corpus import Corpus

    articles = Corpus(config.corpus_dir).articles
    if args.json:
        for a in articles:
            print(json.dumps({"id": a.id, "title": a.title, "date": a.date}, ensure_ascii=False))
        return 0
    for a in articles:
        print(f"{a.id}  {a.date or '----------'}  {a.title}")
    print(f"共 {len(articles)} 篇。")
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    """Print one article in full."""
    from newsbot.corpus import Corpus
    from newsbot.render import render_article

    print(render_article(Corpus(config.corpus_dir).get(args.id)))
    return 0


def cmd_delete(config: Config, args: argparse.Namespace) -> int:
    """Delete one article."""
    from newsbot.corpus import Corpus

    article = Corpus(config.corpus_dir).delete(args.id)
    print(f"已删除 {article.id}  {article.title}")
    return 0


def _stdin_lines() -> list[str]:
    """Input lines split at \\n only, bad bytes replaced, so output lines match input lines."""
    return [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in sys.stdin.buffer]


def cmd_ask(config: Config, args: argparse.Namespace) -> int:
    """Answer one question, or each line of standard input."""
    from newsbot.render import render_answer

    if args.max_chars is not None and not 20 <= args.max_chars <= 2000:
        raise NewsbotError("--max-chars 必须在 20 到 2000 之间")
    engine = _engine(config)
    questions = [" ".join(args.question)] if args.question else None
    for question in questions if questions is not None else _stdin_lines():
        answer = engine.ask(question, max_chars=args.max_chars)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer) + ("" if questions else "\n"), flush=True)
    return 0


def cmd_console(config: Config, args: argparse.Namespace) -> int:
    """Interactive console, or answer piped lines."""
    from newsbot.console import run_console

    engine = _engine(config)
    engine.autosave()
    try:
        run_console(engine, None if sys.stdin.isatty() else _stdin_lines())
    finally:
        engine.save()
    return 0


def cmd_eval(config: Config, args: argparse.Namespace) -> int:
    """Evaluate on a QA file, over the corpus or over a contexts file."""
    from newsbot.evaluate import evaluate, load_qa

    items = load_qa(args.qa)[: args.limit]
    responder = (
        _contexts_responder(config, args.contexts) if args.contexts else _engine(config).responder
    )
    result = evaluate(responder, items)
    if args.json:
        print(json.dumps(result.__dict__, ensure_ascii=False))
    else:
        print("\n".join(result.lines()))
    return 0


def _contexts_responder(config: Config, path: Path) -> Responder:
    """A responder over the paragraphs of a .jsonl file, built in memory (nothing is written)."""
    from newsbot.corpus.importers import parse_import
    from newsbot.engine import params_for, responder_for, tokenizer_for
    from newsbot.index.search import SearchIndex

    try:
        data = path.read_bytes()
    except OSError:
        raise NewsbotError(f"找不到或无法读取 {path}") from None
    articles = parse_import(path.name, data).articles
    return responder_for(config, SearchIndex(articles, tokenizer_for(config), params_for(config)))


def cmd_index(config: Config, args: argparse.Namespace) -> int:
    """Rebuild the index and print its size."""
    engine = _engine(config)
    index = engine.index
    print(
        f"文章 {len(index.articles)} 篇，段落 {len(index)} 个，词表 {len(index.bm25.vocab)} 个词。"
    )
    return 0


def cmd_bot(config: Config, args: argparse.Namespace) -> int:
    """Run the Telegram bot until stopped."""
    from newsbot.telegram.app import run_bot

    return run_bot(config)


COMMANDS = {
    "import": cmd_import,
    "list": cmd_list,
    "show": cmd_show,
    "delete": cmd_delete,
    "ask": cmd_ask,
    "console": cmd_console,
    "eval": cmd_eval,
    "index": cmd_index,
    "bot": cmd_bot,
}

if __name__ == "__main__":
    sys.exit(main())
