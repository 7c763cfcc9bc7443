"""The report of a small run, opened in real headless Chromium (Debian's ``chromium``, driven by
Playwright; never a browser Playwright downloads).

Outside CI the test is skipped, with the reason, when chromium or Playwright is missing; in CI (``CI``
set, or ``GHARBAL_REQUIRE_BROWSER=1`` as ``.ci/run`` exports) a missing browser fails it. Screenshots
are saved under ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from tests.report_run import HOSTILE_ID, HOSTILE_ID_ITSELF, IMG, SCRIPT, SEED_ID, make_run, stats_of

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (os.environ.get("GHARBAL_CHROMIUM"), "chromium", "/usr/bin/chromium"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def _browser_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("GHARBAL_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str) -> None:
    if _browser_required():
        pytest.fail(f"{reason}, and CI requires the browser test (CI / GHARBAL_REQUIRE_BROWSER=1)")
    pytest.skip(f"{reason}; install it (apt-get install chromium) to run the browser test")


@dataclass
class Watched:
    """What a page did that it must not: console errors, uncaught exceptions, dialogs, requests."""

    page: Page
    url: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, fragment: str = "") -> None:
        self.page.goto(self.url + fragment, wait_until="load", timeout=30_000)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    chromium = _chromium()
    if chromium is None:
        _unavailable("chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def watched(browser: BrowserContext, out: Path) -> Iterator[Watched]:
    page = browser.new_page()
    w = Watched(page, (out / "report.html").resolve().as_uri())

    def on_dialog(dialog: Any) -> None:
        w.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: w.errors.append(str(exc)))
    page.on("dialog", on_dialog)
    page.on("request", lambda r: w.requests.append(r.url))
    yield w
    page.close()


def _number(text: str) -> int:
    return int(text.strip().replace(",", ""))


def _cells(page: Page, stage: str) -> list[str]:
    return page.locator(f'#funnel-table tr[data-stage="{stage}"] td').all_inner_texts()


def _shot(page: Page, name: str, **kwargs: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **kwargs)


def test_report_loads_cleanly_and_funnel_equals_stats(watched: Watched, out: Path) -> None:
    watched.open()
    page = watched.page
    stats = stats_of(out)
    assert _number(_cells(page, "input")[3]) == stats["input"]
    assert _number(_cells(page, "kept")[3]) == stats["kept"]
    assert _number(_cells(page, "kept")[5]) == stats["removed_lines"]
    stages = page.locator("#funnel-table tr[data-stage]").evaluate_all(
        "rows => rows.map(r => r.dataset.stage)"
    )
    assert stages[0] == "input"
    assert stages[-1] == "kept"
    remaining = stats["input"]
    dropped_total = 0
    for stage in stages[1:-1]:
        cells = _cells(page, stage)
        dropped = sum(n for r, n in stats["rejected_by_reason"].items() if r.split(".")[0] == stage)
        assert _number(cells[1]) == remaining, stage
        assert _number(cells[2]) == dropped, stage
        remaining -= dropped
        dropped_total += dropped
        assert _number(cells[3]) == remaining, stage
    assert remaining == stats["kept"]
    assert dropped_total == stats["rejected"] > 0
    for key in ("input", "kept", "rejected", "removed_lines"):
        card = page.locator(f'.card[data-key="{key}"] .v').inner_text()
        assert _number(card) == stats[key], key
    for reason, n in stats["rejected_by_reason"].items():
        row = page.locator(f'#rejected-reasons tr[data-reason="{reason}"] td').all_inner_texts()
        assert _number(row[1]) == n
    for reason, n in stats["removed_lines_by_reason"].items():
        row = page.locator(f'#removed-reasons tr[data-reason="{reason}"] td').all_inner_texts()
        assert _number(row[1]) == n
    assert page.locator("svg").count() >= 3
    _shot(page, "report-top.png")
    _shot(page, "report-full.png", full_page=True)
    assert watched.errors == []
    assert watched.dialogs == []
    assert watched.requests == [watched.url]


def test_arabic_seed_page_reads_right_to_left(watched: Watched) -> None:
    watched.open("#doc=" + quote(SEED_ID, safe=""))
    page = watched.page
    assert page.locator("#doc-select").input_value() == SEED_ID
    lines = page.locator("#page-lines")
    assert lines.evaluate("e => getComputedStyle(e).direction") == "rtl"
    kept = page.locator("#page-lines .line.keep .text")
    assert kept.count() == 10
    assert kept.first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert "صرح المتحدث باسم وزارة الخارجية الأمريكية" in kept.first.inner_text()
    title = page.locator("#page-lines .line.title .text")
    assert title.inner_text() == "الولايات المتحدة عازمة على حل الخلافات مع روسيا قبل 25 يناير"
    # Removed lines are struck through, with their reason beside them.
    removed = page.locator("#page-lines .line.remove")
    assert removed.count() == 14
    first = removed.first
    assert first.locator("del.text").inner_text() == "تم التسجيل بنجاح!"
    decoration = first.locator(".text").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in decoration
    assert first.locator(".reason").inner_text().startswith("extract.")
    # A mixed page: the Latin chrome line "loader" in the Arabic page runs left to right.
    loader = page.locator("#page-lines .line.remove .text", has_text="loader").first
    assert loader.evaluate("e => getComputedStyle(e).direction") == "ltr"
    page.locator("#page").evaluate("e => e.scrollIntoView()")
    _shot(page, "report-viewer-seed.png")
    assert watched.errors == []


def test_hostile_text_is_shown_never_run(watched: Watched) -> None:
    watched.open("#doc=" + quote(HOSTILE_ID, safe=""))
    page = watched.page
    text = page.locator("#page-lines").inner_text()
    assert SCRIPT in text
    assert IMG in text
    assert page.locator("#page").get_by_text(SCRIPT, exact=True).count() >= 1
    # The filter box and the select list take the hostile id as text as well.
    page.locator("#doc-filter").fill("onerror")
    options = page.locator("#doc-select option").all_inner_texts()
    assert any(HOSTILE_ID_ITSELF in o for o in options)
    page.locator("#doc-select").select_option(HOSTILE_ID_ITSELF)
    page.wait_for_function("() => location.hash.includes('onerror')")
    assert IMG in page.locator("#page .page-fields").inner_text()
    page.wait_for_timeout(300)  # give an injected handler (img onerror) time to fire, if any
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    _shot(page, "report-viewer-hostile.png")
    assert watched.dialogs == []
    assert watched.errors == []
    assert all(url.startswith(watched.url.split("#")[0]) for url in watched.requests)
