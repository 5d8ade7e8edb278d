"""Main-text extraction on CMS-shaped government pages: trafilatura (what the project uses) beside
readability-lxml (if installed) and a naive "every <p>" baseline, measured in the same run.

Columns: share of the article's sentences kept, chrome lines leaked (版权所有, ICP备, 分享到…), the
title as the article's own (no site suffix), the date found, and milliseconds per page.

Usage: python bench/extractors.py   (part of ``make bench``; readability-lxml: pip install
readability-lxml)
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.web_server import WEB, article_page

from newsbot.corpus.html import article_from_html
from newsbot.errors import CorpusError

CHROME = ("版权所有", "ICP备", "分享到", "上一篇", "当前位置", "网站首页", "浏览次数", "主办单位")
PAGES: list[tuple[str, str, list[str], str]] = []  # (html, title, sentences, date)


def _pages() -> None:
    sample = (WEB / "article.html").read_text("utf-8")
    content = sample.split('id="zoom">', 1)[1].split("</div>", 1)[0]
    sentences = re.findall(r"<p>([^<]{20,})</p>", content)
    PAGES.append((sample, "管城回族区召开2024年防汛工作会议", sentences, "2024-05-28"))
    bodies = [
        ("区城管局召开垃圾分类推进会", "2024-03-09", [
            "3月9日，区城管局召开垃圾分类推进会，通报了一季度工作进展。",
            "会议表彰了12个示范小区和8家先进单位，部署下一阶段重点任务。",
            "区城管局局长王磊要求，各街道要在6月底前实现分类投放全覆盖。"]),
        ("老旧小区改造工程全面启动", "2024-04-18", [
            "4月18日，区住建局启动老旧小区改造工程，今年计划改造35个小区。",
            "改造涉及居民4200户，包括管网更新、加装电梯和增设停车位等内容。",
            "工程将于11月底前全部完工，施工期间设立便民服务点。"]),
    ]  # fmt: skip
    for title, date, paragraphs in bodies:
        PAGES.append((article_page(title, date, "区政府办", paragraphs), title, paragraphs, date))


def project(page: str) -> tuple[str, str, str | None]:
    try:
        article = article_from_html(page, "http://www.example.gov.cn/a.html")
    except CorpusError:
        return "", "", None
    return article.title, article.body, article.date


def readability_lxml(page: str) -> tuple[str, str, str | None]:
    from readability import Document

    doc = Document(page)
    text = re.sub(r"<[^>]+>", "\n", doc.summary())
    return doc.short_title(), text, None


def every_paragraph(page: str) -> tuple[str, str, str | None]:
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", page, re.S)
    text = "\n".join(re.sub(r"<[^>]+>", "", p) for p in paragraphs)
    return (title.group(1) if title else ""), text, None


def measure(extract: Callable[[str], tuple[str, str, str | None]]) -> list[float]:
    kept = leaked = titled = dated = 0.0
    started = time.perf_counter()
    for page, title, sentences, date in PAGES:
        got_title, text, got_date = extract(page)
        kept += sum(s in text for s in sentences) / len(sentences)
        leaked += sum(text.count(c) for c in CHROME)
        titled += got_title.strip() == title
        dated += got_date == date
    ms = (time.perf_counter() - started) * 1000 / len(PAGES)
    n = len(PAGES)
    return [kept / n, leaked, titled / n, dated / n, ms]


def main() -> int:
    _pages()
    rows = {"newsbot (trafilatura)": project, "every <p> (naive)": every_paragraph}
    try:
        import readability  # noqa: F401

        rows["readability-lxml"] = readability_lxml
    except ImportError:
        print("(readability-lxml not installed: pip install readability-lxml to compare)\n")
    print(f"{len(PAGES)} CMS-shaped pages\n")
    print("| extractor | sentences kept | chrome lines leaked | own title | date | ms/page |")
    print("|---|---|---|---|---|---|")
    for name, extract in rows.items():
        kept, leaked, titled, dated, ms = measure(extract)
        print(f"| {name} | {kept:.2f} | {leaked:.0f} | {titled:.2f} | {dated:.2f} | {ms:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
