"""``OUT/report.html`` and ``gharbal explain``, without a browser (see test_report_browser.py)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gharbal.report import build_report, explain
from gharbal.report.funnel import funnel_rows
from gharbal.report.html import script_json
from tests.report_run import (
    HOSTILE_ID,
    HOSTILE_ID_ITSELF,
    IMG,
    SCRIPT,
    SEED_ID,
    make_run,
    stats_of,
)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("report"))


def _pages(html: str) -> list[dict[str, Any]]:
    m = re.search(r'<script type="application/json" id="gharbal-pages">(.*?)</script>', html, re.S)
    assert m is not None
    pages: list[dict[str, Any]] = json.loads(m.group(1))
    return pages


def test_run_writes_the_report(run_out: Path) -> None:
    html = (run_out / "report.html").read_text(encoding="utf-8")
    stats = stats_of(run_out)
    assert html.startswith("<!DOCTYPE html>")
    for section in ("summary", "funnel", "reasons", "distributions", "sites", "viewer"):
        assert f'<section id="{section}">' in html
    for reason in [*stats["rejected_by_reason"], *stats["removed_lines_by_reason"]]:
        assert f'data-reason="{reason}"' in html
    assert html.count("<svg") >= 3  # funnel, lengths, scores: made by matplotlib
    pages = {p["id"]: p for p in _pages(html)}
    assert SEED_ID in pages
    assert pages[SEED_ID]["dir"] == "rtl"
    assert {"read.invalid_json", "read.no_content", "extract.empty"} <= {
        p["reason"] for p in pages.values() if p["status"] == "rejected"
    }


def test_report_is_self_contained_and_locked_down(run_out: Path) -> None:
    html = (run_out / "report.html").read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    assert "default-src &#x27;none&#x27;" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src")[1].split(";")[0]
    # Nothing is fetched: no src/href to another document, no external stylesheet or script.
    assert not re.search(r"""\s(src|href)=["']?(https?:|//|javascript:)""", html)
    assert "<link" not in html
    assert len(re.findall(r"<script\b", html)) == 2  # the page data (JSON) and the viewer


def test_hostile_page_text_is_escaped(run_out: Path) -> None:
    html = (run_out / "report.html").read_text(encoding="utf-8")
    for bad in (SCRIPT, IMG, "<b>", "onerror=alert(1)>"):
        assert bad not in html
    assert html.count("<script") == 2
    assert "evil.example&lt;script&gt;alert(1)&lt;/script&gt;" in html  # a site, shown as text
    data = re.search(r'id="gharbal-pages">(.*?)</script>', html, re.S)
    assert data is not None
    assert not set("<>&") & set(data.group(1))
    pages = {p["id"]: p for p in _pages(html)}
    texts = [ln[2] for ln in pages[HOSTILE_ID]["lines"]]
    assert any(SCRIPT in t for t in texts)
    assert any(IMG in t for t in texts)
    assert HOSTILE_ID_ITSELF in pages


def test_script_json_escapes_markup() -> None:
    text = script_json({"t": "</script><!-- & \u2028"})
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == {"t": "</script><!-- & \u2028"}


def test_funnel_matches_stats(run_out: Path) -> None:
    stats = stats_of(run_out)
    rows = funnel_rows(stats)
    # HTML is rendered to lines (extractor dom, the default) before site statistics (on by
    # default) count lines before extraction; their finalize is theirs.
    assert [r.name for r in rows][:4] == ["read", "render_html", "site_stats", "extract"]
    assert rows[2].steps == ["site_stats", "site_stats.finalize"]
    assert rows[1].dropped == rows[2].dropped == 0
    assert rows[-1].remaining == stats["kept"]
    assert sum(r.dropped for r in rows) == stats["rejected"]
    html = (run_out / "report.html").read_text(encoding="utf-8")
    table = html.split('id="funnel-table"')[1].split("</table>")[0]
    kept = re.search(r'data-stage="kept">.*?data-value="(\d+)"', table)
    assert kept is not None
    assert int(kept.group(1)) == stats["kept"]


def test_funnel_orders_new_stages_and_folds_steps() -> None:
    stats = {
        "input": 10,
        "kept": 4,
        "rejected": 6,
        "rejected_by_reason": {"dedup.near": 2, "quality.gopher": 3, "read.invalid_json": 1},
        "removed_lines_by_reason": {"extract.lines.short": 7},
        "step_seconds": {"read": 1, "extract": 2, "tagger": 1, "dedup_near": 3, "write": 1},
    }
    rows = funnel_rows(stats)
    assert [r.name for r in rows] == ["read", "extract", "tagger", "quality", "dedup", "write"]
    dedup = rows[4]
    assert (dedup.entered, dedup.dropped, dedup.remaining, dedup.seconds) == (6, 2, 4, 3.0)
    assert rows[1].removed_lines == 7


def test_report_is_deterministic_and_rebuilt_by_cli(
    run_out: Path, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    first = (run_out / "report.html").read_text(encoding="utf-8")
    result = cli("report", str(run_out), "-o", str(tmp_path / "again.html"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.html").read_text(encoding="utf-8") == first


def test_report_page_sample_is_capped(run_out: Path, tmp_path: Path) -> None:
    path = build_report(run_out, max_pages=5, output=tmp_path / "r.html")
    pages = _pages(path.read_text(encoding="utf-8"))
    kept = [p for p in pages if p["status"] == "kept"]
    assert len(kept) == 5
    bigger = _pages(build_report(run_out, max_pages=12, output=tmp_path / "r2.html").read_text())
    # The sample is the documents with the smallest id hash: a larger sample contains a smaller one.
    assert {p["id"] for p in kept} <= {p["id"] for p in bigger}


def test_report_with_two_workers_is_the_same(tmp_path: Path) -> None:
    out = make_run(tmp_path, workers=2)  # two shards: the sample and hostile.jsonl
    one = build_report(out, output=tmp_path / "one.html", workers=1).read_text(encoding="utf-8")
    assert (out / "report.html").read_text(encoding="utf-8") == one


def test_report_disabled_in_recipe(tmp_path: Path) -> None:
    out = make_run(tmp_path, report={"enabled": False})
    assert not (out / "report.html").exists()
    assert (out / "stats.json").exists()


def test_report_cli_errors(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("report", str(tmp_path / "nothing"))
    assert result.exit_code == 2
    assert "not a gharbal output directory" in result.output


def test_report_flags_parts_that_disagree_with_stats(run_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(run_out, out)
    part = out / "removed_lines" / "part-00000.jsonl.gz"
    part.write_bytes(gzip.compress(b'{"id": "x", "line_no": 1, "reason": "r", "text": "t"}\n[1]\n'))
    html = build_report(out).read_text(encoding="utf-8")
    assert 'id="report-problems"' in html
    assert "stats.json says removed_lines" in html
    assert "not JSON objects were skipped" in html


def test_explain_kept_page(run_out: Path, cli: Callable[..., Any]) -> None:
    result = cli("explain", str(run_out), SEED_ID)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{SEED_ID}: KEPT" in out
    assert "REMOVED  تابعنا عبر" in out
    assert "-> extract." in out  # each removed line with its extraction reason
    assert "TITLE    الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل 25 يناير" in out
    exp = explain(run_out, SEED_ID)
    assert [ln.no for ln in exp.lines] == sorted(ln.no or 0 for ln in exp.lines)
    assert {ln.verdict for ln in exp.lines} == {"keep", "remove", "title"}
    assert not exp.notes


def test_explain_rejected_page(run_out: Path, cli: Callable[..., Any]) -> None:
    result = cli("explain", str(run_out), "hostile/chrome-only")
    assert result.exit_code == 0, result.output
    assert "REJECTED at stage extract: extract.empty" in result.output
    assert f"REMOVED  {IMG}" in result.output
    result = cli("explain", str(run_out), "hostile/chrome-only", "--json")
    data = json.loads(result.output)
    assert data["status"] == "rejected"
    assert [ln["verdict"] for ln in data["lines"]] == ["remove"] * 3


def test_explain_removed_only(run_out: Path, cli: Callable[..., Any]) -> None:
    result = cli("explain", str(run_out), SEED_ID, "--removed-only")
    assert result.exit_code == 0
    assert "REMOVED" in result.output
    assert "  kept  " not in result.output


def test_explain_unknown_id(run_out: Path, cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("explain", str(run_out), "no/such/page")
    assert result.exit_code == 1
    assert "no document with id 'no/such/page'" in result.output
    result = cli("explain", str(tmp_path), "x")
    assert result.exit_code == 2
    assert "not a gharbal output directory" in result.output


def test_parquet_documents_are_read(run_out: Path, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "pq"
    shutil.copytree(run_out, out)
    for part in sorted((out / "documents").glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        for row in rows:
            row["scores"] = json.dumps(row["scores"])
            row["metadata"] = json.dumps(row["metadata"])
        pq.write_table(pa.Table.from_pylist(rows), part.with_name(part.name[:10] + ".parquet"))
        part.unlink()
    html = build_report(out).read_text(encoding="utf-8")
    assert 'id="report-problems"' not in html
    assert explain(out, SEED_ID).status == "kept"


def test_large_run_reads_details_of_a_sample_but_counts_everything(run_out: Path) -> None:
    from gharbal.report import Limits
    from gharbal.report.build import render
    from gharbal.report.collect import collect

    stats = stats_of(run_out)
    full = collect(run_out, Limits(max_pages=3, rejected_per_reason=1))
    small = Limits(max_pages=3, rejected_per_reason=1, detail_docs=5)
    sampled = collect(run_out, small, stats=stats)
    assert full.detailed_docs == full.removed_docs
    assert 0 < sampled.detailed_docs < sampled.removed_docs == full.removed_docs
    assert sampled.removed_lines == full.removed_lines == stats["removed_lines"]
    assert {k: (v.pages, v.lines, v.removed) for k, v in sampled.sites.items()} == {
        k: (v.pages, v.lines, v.removed) for k, v in full.sites.items()
    }
    assert sum(sampled.removed_by_reason.values()) < sum(full.removed_by_reason.values())
    # The viewer's pages are always read in full.
    assert [p.removed for p in sampled.kept_pages.values()] == [
        p.removed for p in full.kept_pages.values()
    ]
    html = render(run_out, stats, sampled, None)
    assert "deterministic sample of" in html
    assert 'id="report-problems"' not in html
