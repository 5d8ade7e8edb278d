from hypothesis import given
from hypothesis import strategies as st

from newsbot.text.joined import Joined

TEXT = st.text(alphabet="管城区会议甲乙 ,", max_size=12)


@given(st.lists(TEXT, max_size=8), st.text(alphabet="管城区会甲", max_size=3))
def test_the_texts_holding_a_string_are_those_that_contain_it(texts, key):
    """Searching the joined texts finds each text holding the string once, in order: at the
    texts' edges, in empty texts (the empty string is in every one) and repeated in one."""
    joined = Joined(texts)
    assert len(joined) == len(texts)
    assert list(joined.holding(key)) == [k for k, t in enumerate(texts) if key in t]
