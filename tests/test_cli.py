"""The CLI contract (DESIGN.md section 4), exercised through the CLI itself."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED, read_jsonl, read_parts

README = Path(__file__).parents[1] / "README.md"


def _check_ledger(out: Path) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert stats["input"] == stats["kept"] + stats["rejected"]
    assert len(read_parts(out, "documents")) == stats["kept"]
    rejected = read_parts(out, "rejected")
    assert len(rejected) == stats["rejected"]
    removed = read_parts(out, "removed_lines")
    assert len(removed) == stats["removed_lines"]
    assert sum(stats["rejected_by_reason"].values()) == stats["rejected"]
    for row in rejected:
        assert set(row) >= {"id", "url", "stage", "reason", "detail"}
        assert row["reason"].split(".")[0] == row["stage"]
    for row in removed:
        assert set(row) >= {"id", "line_no", "reason", "text"}
    assert (out / "recipe.yaml").is_file()
    return stats


def test_run_without_input_uses_bundled_sample(
    tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("run")
    assert result.exit_code == 0, result.output
    stats = _check_ledger(tmp_path / "gharbal-out")
    assert stats["input"] >= 31
    assert stats["kept"] >= 30
    assert stats["removed_lines"] > 0
    docs = read_parts(tmp_path / "gharbal-out", "documents")
    seed = next(d for d in docs if d["id"].startswith("seed/"))
    assert seed["title"] == "الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل 25 يناير"
    assert all(d["metadata"]["license"] for d in docs)


def test_run_on_user_file_with_bad_records(tmp_path: Path, cli: Callable[..., Any]) -> None:
    page = SEED.read_text(encoding="utf-8")
    src = tmp_path / "some.jsonl.gz"
    lines = [
        json.dumps({"id": "good", "text": page, "url": "https://sputnik.example/a"}),
        json.dumps({"id": "nothing", "title": "no text or html"}),
        "this is not json",
        json.dumps({"id": "good2", "text": page}),
    ]
    src.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    result = cli("run", str(src), str(empty), "-o", str(out))
    assert result.exit_code == 0, result.output
    stats = _check_ledger(out)
    assert (stats["input"], stats["kept"], stats["rejected"]) == (5, 2, 3)
    assert stats["rejected_by_reason"] == {
        "read.file.empty": 1,
        "read.invalid_json": 1,
        "read.no_content": 1,
    }
    rejected = {r["reason"]: r for r in read_parts(out, "rejected")}
    assert f"{src}:3" in rejected["read.invalid_json"]["detail"]
    assert stats["unreadable_files"] == [{"path": str(empty), "reason": "read.file.empty"}]
    assert "rejected" in result.output


def test_an_input_without_any_document_is_named_in_stats_and_summary(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """A WAT-like WARC (requests and metadata, no page record) gives no document and no
    rejection: it is listed, so that a wrong input does not pass as an empty crawl."""
    from tests.warcfile import gzip_members, record

    wat = tmp_path / "crawl.warc.wat.gz"
    wat.write_bytes(
        gzip_members(
            [
                record("https://a.example/", b"GET / HTTP/1.1\r\n\r\n", kind="request"),
                record(
                    "https://a.example/", b'{"Envelope": {}}', "application/json", kind="metadata"
                ),
            ]
        )
    )
    page = tmp_path / "page.txt"
    page.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("run", str(wat), str(page), "-o", str(out))
    assert result.exit_code == 0, result.output
    stats = _check_ledger(out)
    assert stats["input"] == 1
    assert stats["files_without_documents"] == [str(wat)]
    assert f"no documents in: {wat}" in result.output
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="files-without-documents"' in report
    assert str(wat) in report


def test_output_identical_for_one_and_two_workers(tmp_path: Path, cli: Callable[..., Any]) -> None:
    page = SEED.read_text(encoding="utf-8")
    inputs = []
    for i in range(3):
        path = tmp_path / f"in{i}.jsonl"
        path.write_text(
            json.dumps({"id": f"p{i}", "text": page}) + "\nnot json\n", encoding="utf-8"
        )
        inputs.append(str(path))
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        result = cli("run", *inputs, "-o", str(out), "--workers", workers)
        assert result.exit_code == 0, result.output
        outs.append(out)
    for kind in ("documents", "rejected", "removed_lines"):
        a = sorted(p.name for p in (outs[0] / kind).iterdir())
        assert a == sorted(p.name for p in (outs[1] / kind).iterdir())
        for name in a:
            assert (outs[0] / kind / name).read_bytes() == (outs[1] / kind / name).read_bytes()
    s1, s2 = (json.loads((o / "stats.json").read_text()) for o in outs)
    for s in (s1, s2):
        s.pop("step_seconds")
    assert s1 == s2


def test_rerun_replaces_earlier_output(tmp_path: Path, cli: Callable[..., Any]) -> None:
    out = tmp_path / "out"
    (out / "documents").mkdir(parents=True)
    (out / "documents" / "part-00099.jsonl.gz").write_bytes(b"stale")
    assert cli("run", str(SEED), "-o", str(out)).exit_code == 0
    assert not (out / "documents" / "part-00099.jsonl.gz").exists()


def test_recipe_file_and_errors(tmp_path: Path, cli: Callable[..., Any]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("output: {compression: none}\nextract: {title: {enabled: false}}\n")
    out = tmp_path / "out"
    assert cli("run", str(SEED), "-o", str(out), "--recipe", str(recipe)).exit_code == 0
    (doc,) = read_jsonl(out / "documents" / "part-00000.jsonl")
    assert doc["title"] is None
    assert "enabled: false" in (out / "recipe.yaml").read_text()

    recipe.write_text("workers: many\n")
    result = cli("run", str(SEED), "-o", str(out), "--recipe", str(recipe))
    assert result.exit_code == 2
    assert "workers" in result.output
    result = cli("run", str(tmp_path / "missing.jsonl"), "-o", str(out))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_extract_writes_one_record_per_input_record(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": SEED.read_text(encoding="utf-8")})
        + "\n"
        + json.dumps({"id": "b", "text": "menu"})
        + "\n{broken\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = cli("extract", str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ["a", "b"]
    assert all(set(r) == {"id", "title", "text"} for r in records)
    (bad,) = read_jsonl(tmp_path / "out.rejected.jsonl")
    assert bad["reason"] == "read.invalid_json"


def test_extract_counts_skipped_records_apart_from_damaged_ones(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """A WARC's image response and its 404 are not pages (skipped), not damage (unreadable)."""
    from tests.warcfile import gzip_members, html_page, record

    page = html_page("<p>" + "The council met on Tuesday and voted for the plan. " * 8 + "</p>")
    src = tmp_path / "in.warc.gz"
    src.write_bytes(
        gzip_members(
            [
                record("https://a.example/", page.encode()),
                record("https://a.example/logo.png", b"\x89PNG\r\n", "image/png"),
                record("https://a.example/gone", page.encode(), status="404 Not Found"),
            ]
        )
    )
    out = tmp_path / "out.jsonl"
    result = cli("extract", str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert len(read_jsonl(out)) == 1
    assert "2 skipped (not HTML pages, or not HTTP 2xx)" in result.output
    assert "unreadable" not in result.output
    reasons = sorted(r["reason"] for r in read_jsonl(tmp_path / "out.rejected.jsonl"))
    assert reasons == ["read.skip.http_status", "read.skip.not_html"]
    from gharbal import extract_file

    counts = extract_file(str(src), tmp_path / "again.jsonl")
    assert (counts.written, counts.unreadable, counts.skipped) == (1, 0, 2)


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gharbal", "extract", str(SEED), "-o", str(tmp_path / "o.jsonl")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 0, result.stderr
    assert len(read_jsonl(tmp_path / "o.jsonl")) == 1


def test_every_command_is_documented_in_readme(cli: Callable[..., Any]) -> None:
    from gharbal.cli import main

    readme = README.read_text(encoding="utf-8")
    for name in main.commands:
        assert re.search(rf"gharbal {name}\b", readme), f"`gharbal {name}` missing from README"


def test_recipe_duplicate_keys_and_loose_types_exit_2(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    recipe = tmp_path / "r.yaml"
    out = tmp_path / "out"
    for text, message in [
        ("workers: 1\nworkers: 2\n", "duplicate key 'workers' at line 2"),
        (
            "dedup:\n  near:\n    enabled: true\n    enabled: false\n",
            "duplicate key 'enabled' at line 4",
        ),
        ("workers: true\n", "workers: Input should be a valid integer, got bool True"),
        ('lang: {enabled: "yes"}\n', "lang.enabled: Input should be a valid boolean"),
    ]:
        recipe.write_text(text, encoding="utf-8")
        result = cli("run", str(SEED), "-o", str(out), "--recipe", str(recipe))
        assert result.exit_code == 2, (text, result.output)
        assert message in result.output
    assert not out.exists()  # refused before any work


ESC = "\x1b"


def test_data_from_the_input_never_reaches_the_terminal_raw(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    """Escape sequences in ids, urls, line texts and file names are shown, not sent (ESC[2J clears
    the screen, ESC]0;...BEL sets the window title)."""
    doc_id = f"evil{ESC}[2J{ESC}]0;pwned\x07"
    src = tmp_path / "pages.jsonl"
    src.write_text(
        json.dumps(
            {"id": doc_id, "url": "http://x.example/\x9b31m", "text": f"Menu {ESC}[31m\nshort"}
        )
        + "\n",
        encoding="utf-8",
    )
    empty = tmp_path / f"empty{ESC}[2J.jsonl"  # an unreadable file named in the summary
    empty.write_bytes(b"")
    out = tmp_path / "out"
    result = cli("run", str(src), str(empty), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert ESC not in result.output
    assert "unreadable file: " in result.output
    assert "empty\\x1b[2J.jsonl" in result.output
    for args in [(), ("--full",), ("--removed-only",)]:
        result = cli("explain", str(out), doc_id, *args)
        assert result.exit_code == 0, result.output
        assert ESC not in result.output
        assert "\x07" not in result.output
        assert "\x9b" not in result.output
        assert "evil\\x1b[2J\\x1b]0;pwned\\x07: REJECTED" in result.output
        assert "Menu \\x1b[31m" in result.output
    result = cli("explain", str(out), doc_id, "--json")
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in result.output)
    data = json.loads(result.output)
    assert data["id"] == doc_id
    assert data["record"]["url"] == "http://x.example/\x9b31m"
    result = cli("explain", str(out), f"missing{ESC}[2J")
    assert result.exit_code == 1
    assert ESC not in result.output
    recipe = tmp_path / f"r{ESC}]0;x\x07.yaml"
    recipe.write_text("a: [unclosed\n", encoding="utf-8")
    result = cli("run", str(src), "-o", str(out), "--recipe", str(recipe))
    assert result.exit_code == 2
    assert ESC not in result.output
    assert "\x07" not in result.output
    assert "r\\x1b]0;x\\x07.yaml" in result.output


def test_rejected_text_keeps_the_text_of_rejected_documents(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    sentence = "This is sentence number {} of a long article about the weather and the sea."
    repeated = "\n".join(sentence.format(i) for i in range(12))  # Gopher: repeated 4-grams
    mail = "Write to a.b@example.com about the weather and the sea, and you will hear back."
    src = tmp_path / "pages.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": "good", "text": SEED.read_text(encoding="utf-8")}),
                json.dumps({"id": "repetitive", "text": repeated + "\n" + mail}),
                json.dumps({"id": "broken", "text": 5}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    outs = {}
    for name, extra in [("off", ""), ("on", "output: {rejected_text: true}\n")]:
        recipe = tmp_path / f"{name}.yaml"
        recipe.write_text("report: {enabled: false}\n" + extra, encoding="utf-8")
        outs[name] = out = tmp_path / name
        result = cli("run", str(src), "-o", str(out), "--recipe", str(recipe))
        assert result.exit_code == 0, result.output
    off, on = outs["off"], outs["on"]
    for kind in ("documents", "removed_lines", "lines"):
        part = Path(kind) / "part-00000.jsonl.gz"
        assert (off / part).read_bytes() == (on / part).read_bytes(), kind
    s_off, s_on = _check_ledger(off), _check_ledger(on)
    assert {k: v for k, v in s_off.items() if k != "step_seconds"} == {
        k: v for k, v in s_on.items() if k != "step_seconds"
    }
    assert s_on["rejected_by_reason"].keys() >= {"read.bad_field_type"}
    rej_off = {r["id"]: r for r in read_parts(off, "rejected")}
    rej_on = {r["id"]: r for r in read_parts(on, "rejected")}
    assert rej_on["repetitive"]["reason"].startswith("quality.")
    assert all("text" not in r for r in rej_off.values())
    assert sentence.format(5) in rej_on["repetitive"]["text"]  # the text extraction left
    assert "<EMAIL>" in rej_on["repetitive"]["text"]  # redacted as kept documents are
    assert "a.b@example.com" not in rej_on["repetitive"]["text"]
    assert "text" not in rej_on["broken"]  # rejected while reading: no decoded text
    assert {k: v for k, v in rej_on["repetitive"].items() if k not in ("text", "title")} == (
        rej_off["repetitive"]
    )

    shown = cli("explain", str(on), "repetitive").output
    assert f"kept     {sentence.format(3)}" in shown
    assert "output.rejected_text" not in shown
    hidden = cli("explain", str(off), "repetitive").output
    assert sentence.format(3) not in hidden
    assert "output.rejected_text: true" in hidden

    assert cli("report", str(on)).exit_code == 0  # the report's viewer shows the text too
    html = (on / "report.html").read_text(encoding="utf-8")
    found = re.search(
        r'<script type="application/json" id="gharbal-pages">(.*?)</script>', html, re.S
    )
    assert found is not None
    (page,) = [p for p in json.loads(found.group(1)) if p["id"] == "repetitive"]
    assert sentence.format(3) in json.dumps(page, ensure_ascii=False)
