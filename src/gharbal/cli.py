"""The command line: a thin skin over the Python API (`gharbal.run`, `gharbal.extract_file`).

Exit codes: 0 when the run completed (bad records are rejections, not failures), 2 for a usage or
recipe error (nothing was run), 1 for an unexpected failure, and with ``gharbal run --strict`` 3 when
the run completed but input was damaged: a read-stage rejection other than ``read.skip.*`` (records
that were read fine but are not pages, such as a WARC response that is not HTML).
"""

from __future__ import annotations

import sys
from importlib.resources import as_file, files
from pathlib import Path
from typing import Never

import click
from tqdm import tqdm

from gharbal.errors import ConfigError
from gharbal.extract_file import extract_file
from gharbal.pipeline import run as run_pipeline
from gharbal.recipe import Recipe
from gharbal.stats import Stats

SAMPLE = "data/sample/crawl.jsonl.gz"
EXIT_DAMAGED_INPUT = 3


def damaged_input(stats: Stats) -> int:
    """Documents rejected because the input was damaged (``read.*`` but not ``read.skip.*``)."""
    return sum(
        n
        for reason, n in stats.rejected_by_reason.items()
        if reason.startswith("read.") and not reason.startswith("read.skip.")
    )


def _recipe(path: str | None, **overrides: object) -> Recipe:
    recipe = Recipe.from_yaml(path) if path else Recipe()
    return recipe.with_overrides(**overrides)


def _progress(desc: str) -> tqdm[Never]:
    # tqdm draws only on a terminal; elsewhere (logs, CI) it stays quiet.
    return tqdm(desc=desc, unit=" docs", disable=not sys.stderr.isatty(), file=sys.stderr)


def _summary(stats: Stats, out: Path) -> str:
    lines = [
        f"input {stats.input}  kept {stats.kept}  rejected {stats.rejected}  "
        f"removed lines {stats.removed_lines}  -> {out}"
    ]
    for reason, n in stats.rejected_by_reason.most_common(5):
        lines.append(f"  rejected {n:>6}  {reason}")
    for item in stats.unreadable_files:
        lines.append(f"  unreadable file: {item['path']} ({item['reason']})")
    return "\n".join(lines)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gharbal")
def main() -> None:
    """gharbal: clean, deduplicated, language-labelled text from crawled pages."""


@main.command()
@click.argument("inputs", nargs=-1)
@click.option("-o", "--output", default="gharbal-out", show_default=True, help="output directory")
@click.option("--recipe", "recipe_path", type=click.Path(), help="YAML recipe (defaults otherwise)")
@click.option("--workers", type=click.IntRange(min=1), help="worker processes (recipe: workers)")
@click.option(
    "--executor",
    type=click.Choice(["local"]),
    default="local",
    show_default=True,
    help="where to run",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jsonl", "parquet"]),
    help="kept documents as JSONL or Parquet (recipe: output.format)",
)
@click.option(
    "--strict",
    is_flag=True,
    help=f"exit {EXIT_DAMAGED_INPUT} if any input was damaged (a read.* rejection other than "
    "read.skip.*)",
)
def run(
    inputs: tuple[str, ...],
    output: str,
    recipe_path: str | None,
    workers: int | None,
    executor: str,
    output_format: str | None,
    strict: bool,
) -> None:
    """Run the whole pipeline on INPUTS (files, directories, globs or fsspec URLs; JSONL, WARC/WET,
    HTML, Parquet or text pages, the format detected from the content).

    With no INPUTS, runs on the sample crawl bundled with gharbal.
    """
    try:
        recipe = _recipe(recipe_path, workers=workers)
        if output_format is not None:
            recipe = recipe.with_overrides(
                output={**recipe.output.model_dump(), "format": output_format}
            )
        with as_file(files("gharbal") / SAMPLE) as sample, _progress("gharbal run") as bar:
            stats = run_pipeline(list(inputs) or [str(sample)], output, recipe, bar.update)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(_summary(stats, Path(output)), err=True)
    damaged = damaged_input(stats)
    if strict and damaged:
        click.echo(f"--strict: {damaged} records rejected for damaged input", err=True)
        sys.exit(EXIT_DAMAGED_INPUT)


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option(
    "-o", "--output", required=True, help="output JSONL file ({id, title, text} per record)"
)
@click.option(
    "--recipe", "recipe_path", type=click.Path(), help="YAML recipe (its extract section)"
)
def extract(input_path: str, output: str, recipe_path: str | None) -> None:
    """Main-content extraction only: one {id, title, text} record per input record.

    Records that cannot be read at all (broken JSON, a truncated file) have no id to report under;
    they are written to OUTPUT's sibling ``<name>.rejected.jsonl`` with their reason.
    """
    try:
        recipe = _recipe(recipe_path)
        with _progress("gharbal extract") as bar:
            written, unreadable = extract_file(input_path, output, recipe, bar.update)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    msg = f"{written} records -> {output}"
    if unreadable:
        msg += f"; {unreadable} unreadable -> {Path(output).with_suffix('.rejected.jsonl')}"
    click.echo(msg, err=True)
