"""bench/README.md names every bench script; bench/requirements.txt agrees with the `bench` extra.

No network, no install: the files are read and the requirement lines parsed
(`packaging.requirements.Requirement` where packaging is importable, else a regex on the name).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    """PEP 503 normalised project name: `lxml_html_clean` and `lxml-html-clean` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(line: str) -> tuple[str, str]:
    """(canonical name, the requirement normalised) of one requirement line."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pragma: no cover - packaging comes with pip's environments nearly always
        match = _NAME.match(line)
        assert match, f"not a requirement: {line!r}"
        return _canonical(match.group(1)), re.sub(r"\s+", "", line)
    req = Requirement(line)
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    specs = ",".join(sorted(str(s) for s in req.specifier))
    marker = f";{req.marker}" if req.marker else ""
    return _canonical(req.name), f"{_canonical(req.name)}{extras}{specs}{marker}"


def _bench_extra() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        pyproject = tomllib.load(f)
    extra: list[str] = pyproject["project"]["optional-dependencies"]["bench"]
    return extra


def _requirements_txt() -> list[str]:
    lines = []
    for raw in (BENCH / "requirements.txt").read_text(encoding="utf-8").splitlines():
        # pip's comments: a `#` at the start of a line or after whitespace
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if line:
            lines.append(line)
    return lines


def test_every_bench_script_has_a_bullet_in_the_readme() -> None:
    readme = (BENCH / "README.md").read_text(encoding="utf-8")
    scripts = sorted(p.name for p in BENCH.glob("*.py"))
    assert scripts
    missing = [
        name for name in scripts if not re.search(rf"^- `{re.escape(name)}`", readme, re.MULTILINE)
    ]
    assert not missing, f"bench/README.md has no bullet (- `NAME.py` ...) for {missing}"


def test_requirements_txt_is_plain_requirement_lines() -> None:
    # `-e .[bench]`, `-r other.txt` and the like would hide the names from the comparison below
    options = [line for line in _requirements_txt() if line.startswith("-")]
    assert not options, f"bench/requirements.txt: options instead of requirements: {options}"


def test_requirements_txt_names_the_bench_extra() -> None:
    extra = {_parse(line)[0] for line in _bench_extra()}
    txt = {_parse(line)[0] for line in _requirements_txt() if not line.startswith("-")}
    assert txt == extra, (
        f"only in bench/requirements.txt: {sorted(txt - extra)}; "
        f"only in pyproject's bench extra: {sorted(extra - txt)}"
    )


def test_requirements_txt_pins_as_the_bench_extra() -> None:
    extra = sorted(_parse(line)[1] for line in _bench_extra())
    txt = sorted(_parse(line)[1] for line in _requirements_txt() if not line.startswith("-"))
    assert txt == extra
