from newsbot.corpus.importers import parse_import
from newsbot.corpus.page import find_date, infer_year, parse_byline, rejoin_paragraphs

from .conftest import SEED_PAGE


def test_layout_breaks_are_joined_but_real_paragraphs_kept():
    blocks = ["他表示,要勇于", "担当,主动作为。", "第二段。"]
    assert rejoin_paragraphs(blocks) == ["他表示,要勇于担当,主动作为。", "第二段。"]


def test_byline_gives_authors():
    assert parse_byline("记者 柴琳琳 通讯员 姜璞文/图") == ("柴琳琳", "姜璞")
    assert parse_byline("记者 柴琳琳 通讯员 黄帅") == ("柴琳琳", "黄帅")
    assert parse_byline("记者说了很多话，这不是署名而是正文的一部分。" * 5) is None
    assert parse_byline("本报讯 近日") is None


def test_dates_take_the_page_year():
    assert infer_year("2020年全区工会工作会议，《2020年工作要点》，2019年") == 2020
    assert find_date("本报讯 5月15日上午", 2020) == "2020-05-15"
    assert find_date("2019年12月3日", 2020) == "2019-12-03"
    assert find_date("近日", 2020) is None
    assert find_date("5月15日", None) is None
    assert find_date("13月40日, 5月7日", 2020) == "2020-05-07"


def test_seed_page_gives_five_clean_articles():
    articles = parse_import(SEED_PAGE.name, SEED_PAGE.read_bytes()).articles
    assert len(articles) == 5
    by_title = {a.title: a for a in articles}
    union = next(a for a in articles if a.title.startswith("管城回族区总工会"))
    assert union.date == "2020-05-15"
    assert union.authors == ("柴琳琳", "黄帅")
    assert "记者" not in union.body
    first = articles[0]
    assert "勇于担当" in first.body
    assert first.date is None
    assert first.authors == ("柴琳琳", "姜璞")
    smog = next(a for a in articles if "烟厂" in a.title)
    assert "专家对站点数据" in smog.body
    assert "大力弘扬和倡树劳动精神 工匠精神" in by_title
    assert all(not a.body.startswith("本报讯") for a in articles)
