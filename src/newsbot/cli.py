"""The newsbot command line: set up a folder, import and manage articles, ask, evaluate, check,
and run the console or the bot."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from newsbot.config import Config, check_setting, find_config, load_config
from newsbot.errors import NewsbotError
from newsbot.logs import setup_logging

if TYPE_CHECKING:
    from newsbot.engine import Engine
    from newsbot.responder import Responder

log = logging.getLogger("newsbot")
EXIT_USER_ERROR = 2
# Commands that read the corpus: a missing corpus folder is an error for them (import and init
# create it; eval over a contexts file needs none).
READS_CORPUS = frozenset({"list", "show", "delete", "ask", "console", "index", "bot"})
# Questions of a batch `ask` after which the compiled scoring is loaded (in the background).
BATCH_COMPILED_AFTER = 50


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line in Chinese and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"newsbot: 参数错误：{message}（newsbot --help 查看用法）\n")
        raise SystemExit(EXIT_USER_ERROR)


def package_version() -> str:
    """The installed version of newsbot."""
    try:
        return version("newsbot")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """All subcommands; their help texts are the --help output."""
    parser = _Parser(
        prog="newsbot",
        description="本地政务新闻问答机器人：控制台、命令行与 Telegram。",
        epilog="每个命令的选项：newsbot 命令 --help。配置文件依次查找 --config、$NEWSBOT_CONFIG、"
        "./newsbot.yaml、./config/newsbot.yaml，都没有时使用内置默认值。",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {package_version()}")
    parser.add_argument("--config", type=Path, help="配置文件（默认见下文的查找顺序）")
    parser.add_argument("--corpus", type=Path, help="文章目录（覆盖配置中的 corpus_dir）")
    parser.add_argument("--data-dir", type=Path, help="状态与缓存目录（覆盖配置中的 data_dir）")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令", parser_class=_Parser)

    p = sub.add_parser("init", help="创建一个可运行的目录：配置、文章目录与词典")
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), help="目标目录（默认当前目录）")
    p.add_argument(
        "--sample", action="store_true", help="同时导入自带的示例新闻（管城区，2020年5月）"
    )
    p.add_argument("--force", action="store_true", help="覆盖已有的 newsbot.yaml 与词典文件")

    p = sub.add_parser("import", help="导入文章：报纸版面、.md、.txt、.jsonl、.html 或网址")
    p.add_argument("files", nargs="+", help="要导入的文件或 http(s) 网址")
    p.add_argument("--year", type=int, help="版面只写月日时所用的年份（默认从版面推断）")
    p.add_argument("--source", help="来源名称（默认用文件名）")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")

    p = sub.add_parser("list", help="列出文章，最新的在前")
    p.add_argument("--json", action="store_true", help="每篇文章输出一行 JSON")
    p = sub.add_parser("show", help="显示一篇文章的全文")
    p.add_argument("id", help="文章编号（list 可查看）")
    p = sub.add_parser("delete", help="删除一篇文章")
    p.add_argument("id", help="文章编号（list 可查看）")

    p = sub.add_parser("ask", help="提问；不给问题时从标准输入逐行读取")
    p.add_argument("question", nargs="*", help="问题（可含空格）；省略时每行标准输入是一个问题")
    p.add_argument("--json", action="store_true", help="每个问题输出一行 JSON")
    p.add_argument("--max-chars", type=int, help="答案最长字数（20 到 2000）")
    p.add_argument(
        "--follow",
        action="store_true",
        help="把各行当作同一段对话：不能独立成立的追问（“那先进单位呢？”）参照上一个回答",
    )

    sub.add_parser("console", help="交互式控制台（:help 查看控制台命令）")
    p = sub.add_parser("eval", help="在问答集上评测（hit@1、hit@5、答案命中率）")
    p.add_argument("qa", type=Path, help="问答文件：每行 {question, answers, context_id}")
    p.add_argument("--contexts", type=Path, help="用这个 .jsonl 段落文件建索引，而不是文章目录")
    p.add_argument("--limit", type=int, help="只评测前 N 个问题")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
    sub.add_parser("index", help="丢弃保存的索引，从文章目录重建，并显示其规模")
    p = sub.add_parser("check", help="检查配置、文章目录、数据目录和 Telegram 连接（可作健康检查）")
    p.add_argument("--offline", action="store_true", help="不连接 Telegram")
    sub.add_parser("bot", help="运行 Telegram 机器人（令牌来自 $TELEGRAM_BOT_TOKEN）")

    sub.add_parser("stats", help="机器人的使用统计：提问、未回答、读者反馈（与 /stats 相同）")

    p = sub.add_parser("feeds", help="跟踪订阅源与栏目页：add / list / remove / poll")
    feeds = p.add_subparsers(
        dest="feeds_command", required=True, metavar="操作", parser_class=_Parser
    )
    q = feeds.add_parser("add", help="跟踪一个 RSS/Atom 订阅源（--page：没有订阅源的栏目列表页）")
    q.add_argument("url", help="订阅源或栏目页的网址")
    q.add_argument("--name", help="名称（默认用网站域名）")
    q.add_argument("--page", action="store_true", help="这是栏目列表页：页面上的文章链接即条目")
    q.add_argument("--pattern", help="栏目页中文章链接须匹配的正则表达式")
    q = feeds.add_parser("list", help="列出跟踪的订阅源及其状态")
    q.add_argument("--json", action="store_true", help="每个订阅源输出一行 JSON")
    q = feeds.add_parser("remove", help="停止跟踪（网址或名称）")
    q.add_argument("which", help="订阅源的网址或名称")
    q = feeds.add_parser("poll", help="抓取一次所有到期的订阅源，导入新文章并列出")
    q.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``newsbot`` console script."""
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    args = build_parser().parse_args(argv)
    setup_logging(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        config = load_config(
            args.config, overrides={"corpus_dir": args.corpus, "data_dir": args.data_dir}
        )
        if args.command == "bot" and not args.verbose:
            logging.getLogger().setLevel(config.log_level)
        if args.command in READS_CORPUS:
            require_corpus(config)
        return COMMANDS[args.command](config, args)
    except NewsbotError as exc:
        sys.stderr.write(f"newsbot: {exc}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def require_corpus(config: Config) -> None:
    """A user error unless the corpus folder exists (an empty one is fine)."""
    if not config.corpus_dir.is_dir():
        raise NewsbotError(
            f"找不到文章目录 {config.corpus_dir}：用 --corpus 指定，或运行 newsbot init 创建"
        )


def _engine(config: Config) -> Engine:
    """The engine, imported lazily so that --help and list stay fast."""
    from newsbot.engine import Engine

    return Engine(config)


def cmd_init(config: Config, args: argparse.Namespace) -> int:
    """Write a folder ready to run and say what to do next."""
    from newsbot.scaffold import init

    for line in init(args.dir, sample=args.sample, force=args.force):
        print(line)
    return 0


def cmd_import(config: Config, args: argparse.Namespace) -> int:
    """Import files and pages; duplicates and bad rows are reported, the rest stored."""
    from newsbot.corpus.web import is_url

    engine = _engine(config)
    summary: dict[str, list] = {"added": [], "duplicates": [], "errors": [], "updated": []}
    for name in args.files:
        if is_url(name):
            result, report = engine.import_url(name)
        else:
            result, report = engine.import_file(Path(name), year=args.year, source=args.source)
        summary["added"] += [{"id": a.id, "title": a.title, "date": a.date} for a in result.added]
        summary["updated"] += [
            {"id": a.id, "title": a.title, "date": a.date} for a in result.updated
        ]
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
        for a in summary["updated"]:
            print(f"已更新 {a['id']}  {a['title']}")
        for d in summary["duplicates"]:
            print(f"重复，未导入：{d['title']}（已有 {d['existing_id']}）")
        for e in summary["errors"]:
            print(f"出错，已跳过：{e}", file=sys.stderr)
        updated = f"，更新 {len(summary['updated'])} 篇" if summary["updated"] else ""
        print(f"共导入 {len(summary['added'])} 篇{updated}，重复 {len(summary['duplicates'])} 篇。")
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
    from newsbot.responder.followup import carried

    if args.max_chars is not None:
        check_setting("answer_max_chars", args.max_chars, "--max-chars")
    engine = _engine(config)
    questions = [" ".join(args.question)] if args.question else None
    context = None
    for n, question in enumerate(questions if questions is not None else _stdin_lines()):
        if n == BATCH_COMPILED_AFTER:  # a batch long enough to pay for the compiled scoring
            engine.compile_scoring()
        answer = engine.ask(question, max_chars=args.max_chars, context=context)
        if args.follow:
            context = carried(answer, context)
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
    engine.watch()
    try:
        run_console(engine, None if sys.stdin.isatty() else _stdin_lines())
    finally:
        engine.save()
    return 0


def cmd_eval(config: Config, args: argparse.Namespace) -> int:
    """Evaluate on a QA file, over the corpus or over a contexts file."""
    from newsbot.evaluate import evaluate, load_qa

    items = load_qa(args.qa)[: args.limit]
    if args.contexts:
        responder = _contexts_responder(config, args.contexts)
    else:
        require_corpus(config)
        responder = _engine(config).responder
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
    """Rebuild the index from the corpus folder (the saved one is discarded) and print its size."""
    from newsbot.engine import Engine

    index = Engine(config, rebuild=True).index
    print(
        f"已重建索引：文章 {len(index.articles)} 篇，段落 {len(index)} 个，"
        f"词表 {len(index.bm25.vocab)} 个词。"
    )
    return 0


def cmd_check(config: Config, args: argparse.Namespace) -> int:
    """Report whether the bot can run here; status 1 when a check fails."""
    from newsbot.check import run_checks

    checks = run_checks(config, find_config(args.config), offline=args.offline)
    for check in checks:
        print(f"{'✓' if check.ok else '✗'} {check.name}：{check.detail}")
    return 0 if all(c.ok for c in checks) else 1


def cmd_bot(config: Config, args: argparse.Namespace) -> int:
    """Run the Telegram bot until stopped."""
    from newsbot.telegram.app import run_bot

    return run_bot(config)


def cmd_feeds(config: Config, args: argparse.Namespace) -> int:
    """Manage and poll the feeds and column pages the corpus follows."""
    from newsbot.corpus.feeds import FEED, PAGE, FeedStore

    store = FeedStore(config.state_dir / "feeds.json")
    if args.feeds_command == "add":
        kind = PAGE if args.page or args.pattern else FEED
        feed = store.add(args.url, args.name, kind, args.pattern)
        print(f"已开始跟踪{'栏目页' if kind == PAGE else '订阅源'}：{feed.name}（{feed.url}）")
    elif args.feeds_command == "remove":
        feed = store.remove(args.which)
        print(f"已停止跟踪：{feed.name}（{feed.url}）")
    elif args.feeds_command == "list":
        for feed in store.load():
            if args.json:
                row = {
                    k: getattr(feed, k) for k in ("url", "name", "kind", "failures", "last_error")
                }
                print(json.dumps({**row, "seen": len(feed.seen)}, ensure_ascii=False))
            else:
                status = f"失败 {feed.failures} 次：{feed.last_error}" if feed.failures else "正常"
                print(f"{feed.name}  {feed.kind}  {feed.url}  已见 {len(feed.seen)} 条  {status}")
    else:
        require_corpus(config)
        return _poll(config, args)
    return 0


def _poll(config: Config, args: argparse.Namespace) -> int:
    """``feeds poll``: what each source brought; status 1 when a source failed."""
    engine = _engine(config)
    reports = engine.poll_feeds()
    engine.save()
    if args.json:
        rows = [
            {
                "feed": r.feed.name,
                "url": r.feed.url,
                "added": [{"id": a.id, "title": a.title, "date": a.date} for a in r.added],
                "updated": [{"id": a.id, "title": a.title} for a in r.updated],
                "errors": list(r.errors),
                "failed": r.failed or None,
                "waiting": r.waiting,
            }
            for r in reports
        ]
        print(json.dumps({"feeds": rows}, ensure_ascii=False))
    else:
        for r in reports:
            if r.failed:
                print(f"{r.feed.name}：抓取失败（{r.failed}），稍后重试", file=sys.stderr)
                continue
            print(f"{r.feed.name}：新增 {len(r.added)} 篇，更新 {len(r.updated)} 篇")
            for a in r.added:
                print(f"  已导入 {a.id}  {a.title}")
            for a in r.updated:
                print(f"  已更新 {a.id}  {a.title}")
            for e in r.errors:
                print(f"  出错，已跳过：{e}", file=sys.stderr)
            if r.waiting:
                print(f"  另有 {r.waiting} 条留待下次抓取")
        if not reports:
            print("没有到期的订阅源。")
    return 1 if any(r.failed for r in reports) else 0


def cmd_stats(config: Config, args: argparse.Namespace) -> int:
    """What /stats shows, read from the bot's database (safe while the bot runs)."""
    from newsbot.telegram.store import BotStore

    path = config.data_dir / "bot.sqlite3"
    if not path.exists():
        print("还没有统计数据：机器人还没有运行过。")
        return 0
    store = BotStore(path)
    try:
        print("\n".join(store.report()))
    finally:
        store.close()
    return 0


COMMANDS = {
    "init": cmd_init,
    "stats": cmd_stats,
    "feeds": cmd_feeds,
    "import": cmd_import,
    "list": cmd_list,
    "show": cmd_show,
    "delete": cmd_delete,
    "ask": cmd_ask,
    "console": cmd_console,
    "eval": cmd_eval,
    "index": cmd_index,
    "check": cmd_check,
    "bot": cmd_bot,
}

if __name__ == "__main__":
    sys.exit(main())
