"""Fuzzing every reader with hypothesis: random bytes, and valid files with bytes flipped, cut or
inserted. Whatever comes in, a reader yields documents (kept, or rejected with a ``read.*`` reason)
and never raises past its boundary."""

from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.warcfile import html_page, record

from gharbal import Document
from gharbal.readers import READERS
from gharbal.recipe import ReadConfig

CFG = ReadConfig(max_record_bytes=1 << 16)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _seed_files() -> dict[str, bytes]:
    warc = b"".join(
        [
            record("https://f.example/a", html_page("نص عربي").encode()),
            record("https://f.example/b", html_page("نص").encode("cp1256"), "text/html"),
            record("https://f.example/c", b"plain", "text/plain", kind="conversion"),
            record("https://f.example/d", b"%PDF", "application/pdf"),
        ]
    )
    parquet = io.BytesIO()
    pq.write_table(
        pa.table({"id": ["a", "b", "c"], "text": ["x", None, "z"], "n": [1, 2, 3]}),
        parquet,
        row_group_size=1,
    )
    return {
        "warc": warc,
        "warc.gz": b"".join(gzip.compress(r, mtime=0) for r in warc.split(b"WARC/1.1")[1:]),
        "parquet": parquet.getvalue(),
        "html": html_page("نص عربي", "windows-1256").encode("cp1256"),
        "jsonl": b'{"id": "a", "text": "x"}\n{"html": "<p>y</p>"}\n',
        "text": "سطر أول\nsecond line\n".encode(),
    }


SEEDS = _seed_files()
KINDS = ["warc", "parquet", "html", "jsonl", "text", "binary"]


def _read(kind: str, data: bytes, name: str = "input") -> list[Document]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return list(READERS[kind].read(path, CFG, None))


def _check(docs: list[Document]) -> None:
    for doc in docs:
        assert doc.id
        if doc.rejection is not None:
            assert doc.rejection.reason.startswith("read."), doc.rejection
            assert doc.rejection.detail
        else:
            assert doc.text or doc.html is not None or doc.text == ""


@given(st.sampled_from(KINDS), st.binary(max_size=4096))
@SETTINGS
def test_random_bytes_never_raise(kind: str, data: bytes) -> None:
    _check(_read(kind, data))


@given(st.sampled_from(KINDS), st.binary(max_size=512))
@SETTINGS
def test_random_bytes_gzipped_never_raise(kind: str, data: bytes) -> None:
    _check(_read(kind, gzip.compress(data, mtime=0)))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid seed file with a few bytes flipped, a stretch cut out or junk inserted, or cut off."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[seed])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if op == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[at:]
    kind = {"warc.gz": "warc"}.get(seed, seed)
    return kind, bytes(data)


@given(mutated())
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_valid_files_never_raise(case: tuple[str, bytes]) -> None:
    kind, data = case
    _check(_read(kind, data))
