"""Hostile inputs found by a black-box review after the first round of fixes: each was a traceback, a
whole run lost for one bad value, a destroyed device node, or minutes of work on a small file."""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gharbal import ConfigError, Recipe, plan_shards, read_shard
from gharbal.readers.compression import iter_lines
from gharbal.recipe import MAX_WORKERS
from tests.warcfile import html_page, record

AR = "وقال المتحدث باسم وزارة الخارجية إن المفاوضات التي جرت في جنيف كانت بناءة ومفيدة للطرفين."


@pytest.mark.parametrize("length", [b"9" * 5000, "²".encode(), "٣٤".encode()])
def test_warc_content_length_of_many_digits_or_odd_digits(tmp_path: Path, length: bytes) -> None:
    # 5,000 digits: int() refuses over 4,300 and the whole shard failed (exit 4); "²" passes
    # str.isdigit() and int() refuses it.
    good = [record(f"https://d.example/{i}", html_page(f"{AR} {i}").encode()) for i in range(2)]
    real = good[0].split(b"Content-Length: ")[1].split(b"\r\n")[0]
    bad = good[1].replace(b"Content-Length: " + real, b"Content-Length: " + length, 1)
    path = tmp_path / "d.warc"
    path.write_bytes(good[0] + bad + good[1])
    cfg = Recipe().read
    docs = [d for s in plan_shards([str(path)], cfg) for d in read_shard(s, cfg)]
    reasons = [d.rejection.reason if d.rejection else None for d in docs]
    assert reasons[0] is None and reasons[-1] is None, reasons  # noqa: PT018
    assert reasons[1] in {"read.warc.bad_length", "read.warc.corrupt"}
    assert len(docs) == 3


@pytest.mark.parametrize(
    "content",
    [b"workers: 1\n\xff\n", b"\xff\xfew\x00o\x00r\x00k\x00e\x00r\x00s\x00:\x00 \x001\x00"],
)
def test_a_recipe_that_is_not_utf8_exits_2(
    tmp_path: Path, content: bytes, cli: Callable[..., Any]
) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_bytes(content)
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        Recipe.from_yaml(recipe)
    page = tmp_path / "a.txt"
    page.write_text(AR + "\n", encoding="utf-8")
    result = cli("run", str(page), "-o", str(tmp_path / "out"), "--recipe", str(recipe))
    assert result.exit_code == 2, result.output
    assert "is not UTF-8 text" in result.output


def test_absurd_worker_counts_are_refused_up_front(tmp_path: Path, cli: Callable[..., Any]) -> None:
    with pytest.raises(ConfigError):
        Recipe.from_dict({"workers": 10**20})
    Recipe.from_dict({"workers": MAX_WORKERS})
    page = tmp_path / "a.txt"
    page.write_text(AR + "\n", encoding="utf-8")
    result = cli("run", str(page), "-o", str(tmp_path / "out"), "--workers", str(10**20))
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()


def test_outputs_that_are_not_regular_files_are_not_replaced(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    page = tmp_path / "a.jsonl"
    page.write_text(json.dumps({"id": "a", "text": AR}) + "\n", encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = cli("extract", str(page), "-o", str(fifo))
    assert result.exit_code == 2, result.output
    assert "is not a regular file" in result.output
    assert fifo.is_fifo()  # was replaced by a plain file (and /dev/null, as root, the same)
    out = tmp_path / "out"
    assert cli("run", str(page), "-o", str(out)).exit_code == 0
    result = cli("report", str(out), "-o", str(fifo))
    assert result.exit_code == 2, result.output
    assert fifo.is_fifo()
    # A symlink to a file: the file is written, the link stays a link.
    target, link = tmp_path / "target.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n", encoding="utf-8")
    link.symlink_to(target)
    assert cli("extract", str(page), "-o", str(link)).exit_code == 0
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["id"] == "a"


def test_runs_of_blank_lines_are_skipped_in_bulk_with_exact_line_numbers() -> None:
    data = b"\n" * 100_000 + b'{"a": 1}\n' + b"\r\n\r\n" + b"\rx\n" + b"\n\n" + b"  \n" + b"last"
    for stream in (io.BufferedReader(io.BytesIO(data), 1024), io.BytesIO(data)):
        lines = [(r.number, r.offset, r.data) for r in iter_lines(stream, 1 << 20)]
        assert lines == [
            (100_001, 100_000, b'{"a": 1}'),
            (100_004, 100_013, b"\rx"),  # a lone \r is not a line end: it stays in the data
            (100_007, 100_018, b"  "),
            (100_008, 100_021, b"last"),
        ]


def test_a_gzip_of_many_newlines_reads_quickly(tmp_path: Path) -> None:
    # 64 MB of newlines (a 64 KB gzip) and one record: was ~2 us a line (two minutes here).
    path = tmp_path / "nl.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        block = b"\n" * (1 << 20)
        for _ in range(64):
            f.write(block)
        f.write(json.dumps({"id": "a", "text": AR}).encode() + b"\n")
    cfg = Recipe().read
    docs = [d for s in plan_shards([str(path)], cfg) for d in read_shard(s, cfg)]
    assert [d.id for d in docs] == ["a"]
    assert docs[0].source == f"{path}:{64 * (1 << 20) + 1}"
