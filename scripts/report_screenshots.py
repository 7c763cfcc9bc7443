"""Screenshots of the report of the bundled sample, for the README (docs/report-*.png).

    python scripts/report_screenshots.py [docs/]

Runs gharbal on the bundled sample into a temporary directory, opens its report.html in headless
Chromium (Debian's /usr/bin/chromium, driven by Playwright) and saves two PNGs, reduced to a
256-colour palette to stay small: the overview (counts and funnel) and the page viewer on the
Arabic seed page.
"""

from __future__ import annotations

import sys
import tempfile
from importlib.resources import as_file, files
from pathlib import Path
from urllib.parse import quote

from PIL import Image
from playwright.sync_api import sync_playwright

import gharbal

SEED_ID = "seed/000_60c1ad3fcf2e89f8"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _small_png(path: Path) -> None:
    img = Image.open(path).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gharbal-out"
        with as_file(files("gharbal") / "data/sample/crawl.jsonl.gz") as sample:
            gharbal.run([str(sample)], out)
        url = (out / "report.html").resolve().as_uri()
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(Path(tmp) / "profile"),
                executable_path="/usr/bin/chromium",
                headless=True,
                args=ARGS,
                viewport={"width": 1200, "height": 820},
            )
            page = ctx.new_page()
            page.goto(url)
            page.screenshot(path=str(dest / "report-overview.png"))
            page.goto(url + "#doc=" + quote(SEED_ID, safe=""))
            page.locator("#page").evaluate("e => e.scrollIntoView()")
            page.evaluate("window.scrollBy(0, -60)")
            page.screenshot(path=str(dest / "report-viewer.png"))
            ctx.close()
    for name in ("report-overview.png", "report-viewer.png"):
        _small_png(dest / name)
        print(dest / name, (dest / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs")
