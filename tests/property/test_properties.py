from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gharbal import Document, Recipe, Verdict, extract_page, plan_shards, read_shard
from gharbal.step import join_kept

CFG = Recipe()
LINE = st.text(
    alphabet=st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=120,
)
WORDS = st.sampled_from(
    ["وقال", "في", "من", "the", "and", "of", "Заголовок", "؟", ".", "loader", "2015", "東京", "!"]
)
PROSE = st.lists(WORDS, min_size=0, max_size=40).map(" ".join)


@given(st.lists(st.one_of(LINE, PROSE), max_size=40))
@settings(max_examples=150, deadline=None)
def test_every_line_gets_exactly_one_verdict(raw_lines: list[str]) -> None:
    text = "\n".join(raw_lines)
    doc = extract_page(Document(id="p", text=text), CFG.extract)
    assert doc.lines is not None
    physical = text.splitlines()
    expected = [(i + 1, s.strip()) for i, s in enumerate(physical) if s.strip()]
    assert [(ln.no, ln.text) for ln in doc.lines] == expected  # each non-blank line once, in order
    for ln in doc.lines:
        assert (ln.verdict is Verdict.REMOVE) == (ln.reason is not None)
        if ln.reason is not None:
            assert ln.reason.startswith("extract.")
    titles = [ln for ln in doc.lines if ln.verdict is Verdict.TITLE]
    assert len(titles) <= 1
    assert doc.title == (titles[0].text if titles else None)
    assert doc.text == join_kept(doc.lines)


@given(st.binary(max_size=2048), st.sampled_from(["x.jsonl", "x.jsonl.gz", "x.txt", "x"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_readers_never_raise_and_always_account_for_the_file(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        docs = [d for s in plan_shards([str(path)], CFG.read) for d in read_shard(s, CFG.read)]
    assert docs  # a file always yields at least one document or rejection
    for doc in docs:
        assert doc.id
        if doc.rejection is not None:
            assert doc.rejection.reason.startswith("read.")
