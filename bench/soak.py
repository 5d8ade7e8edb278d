"""Soak: the real bot process against the fake Bot API server, 1,000 questions from 100 group chats
pushed as fast as it takes them. Every question must be answered exactly once; prints latency,
throughput and the bot's memory before and after.

Usage: python bench/soak.py [--questions 1000] [--chats 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from common import BUNDLED_CORPUS, OWN_QA, REPO_ROOT, rss_mb

sys.path.insert(0, str(REPO_ROOT))
from tests.fake_bot_api import FakeBotAPI

TOKEN = "123456:SOAK-token"
QA = OWN_QA
OFF_TOPIC = ["量子计算机的原理是什么？", "明天北京天气怎么样？", "世界杯冠军是哪个国家？"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=100)
    args = parser.parse_args()
    asked = [json.loads(line)["question"] for line in QA.read_text("utf-8").splitlines() if line]
    asked += OFF_TOPIC
    work = Path(tempfile.mkdtemp(prefix="newsbot-soak-"))
    shutil.copytree(BUNDLED_CORPUS, work / "corpus")
    config = work / "newsbot.yaml"
    config.write_text(
        f"corpus_dir: {work / 'corpus'}\ndata_dir: {work / 'data'}\n"
        "telegram:\n  questions_per_minute: 1000\n",
        "utf-8",
    )
    api = FakeBotAPI(TOKEN).start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
        "NEWSBOT_CONFIG": str(config),
        "NEWSBOT_LOG_LEVEL": "WARNING",
    }
    log = (work / "bot.log").open("wb")
    bot = subprocess.Popen(
        [sys.executable, "-m", "newsbot.cli", "bot"], env=env, stdout=log, stderr=log
    )
    try:
        while "getUpdates" not in api.calls:
            assert bot.poll() is None, (work / "bot.log").read_text()
            time.sleep(0.05)
        rss_before = rss_mb(bot.pid)
        pushed: dict[int, float] = {}
        started = time.monotonic()
        for n in range(args.questions):
            chat = -1000 - n % args.chats
            api.push_message(chat, 1 + n % args.chats, "/ask " + asked[n % len(asked)], "group")
            message_id = api.updates[-1]["message"]["message_id"]
            pushed[message_id] = time.monotonic()
        deadline = time.monotonic() + 60 + args.questions / 5
        while True:
            with api.lock:
                replies = [m for m in api.sent if m.get("reply_parameters")]
            if len(replies) >= args.questions or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        time.sleep(2)  # anything late or duplicated shows up now
        wall = time.monotonic() - started
        rss_after = rss_mb(bot.pid)
        with api.lock:
            replies = [m for m in api.sent if m.get("reply_parameters")]
            rejected = list(api.rejected)
        per_question = Counter(m["reply_parameters"]["message_id"] for m in replies)
        latency = [
            (m["at"] - pushed[m["reply_parameters"]["message_id"]]) * 1000
            for m in replies
            if m["reply_parameters"]["message_id"] in pushed
        ]
        lost = sum(1 for mid in pushed if per_question[mid] == 0)
        if lost:
            missing = [mid for mid in pushed if per_question[mid] == 0]
            print(f"unanswered message ids: {missing[:20]}", file=sys.stderr)
            print((work / "bot.log").read_text()[-3000:], file=sys.stderr)
        twice = sum(1 for mid in pushed if per_question[mid] > 1)
        print(f"{args.questions} questions from {args.chats} group chats, bot RSS in MB")
        print(
            "| answered exactly once | lost | duplicated | rejected by the API | wall s "
            "| replies/s | latency p50 ms | latency p99 ms | RSS before | RSS after |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        print(
            f"| {sum(1 for mid in pushed if per_question[mid] == 1)} | {lost} | {twice} "
            f"| {len(rejected)} | {wall:.1f} | {len(replies) / wall:.1f} "
            f"| {np.percentile(latency, 50):.0f} | {np.percentile(latency, 99):.0f} "
            f"| {rss_before:.0f} | {rss_after:.0f} |"
        )
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        api.stop()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
