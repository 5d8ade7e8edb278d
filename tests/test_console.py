import io

from newsbot.console import run_console


def test_console_commands_and_answers(engine):
    out = io.StringIO()
    run_console(
        engine,
        [
            ":help",
            "谁到烟厂空气质量监测站点督导？",
            ":debug",
            "区总工会主席是谁？",
            ":quit",
            "never",
        ],
        out,
    )
    text = out.getvalue()
    assert ":debug" in text
    assert "张艳敏" in text and "来源：" in text
    assert "调试信息已打开" in text and "类型=person" in text and "盛伟" in text
    assert "never" not in text
