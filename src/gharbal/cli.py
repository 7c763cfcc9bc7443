"""The command line: a thin skin over the Python API (`gharbal.run`, `gharbal.extract_file`).

Exit codes: 0 when the run completed (bad records are rejections, not failures), 2 for a usage or
recipe error (nothing was run), 1 for an unexpected failure, and for ``explain`` an id that is not in
the output; with ``gharbal run --strict``, 3 when the run completed but input was damaged: a
read-stage rejection other than ``read.skip.*`` (records that were read fine but are not pages, such
as a WARC response that is not HTML), or a document failed inside a step (``<step>.error``); 4 when
a run stops on a failure that is not a document's (`ShardError`, `StageError`: a full disk, an input
that vanished mid-run; one line, the work done kept for ``--resume``), or ``report`` cannot write the
report. A second run into an output directory another run is writing to exits 2 at once.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from importlib.resources import as_file, files
from pathlib import Path
from typing import Never

import click
from tqdm import tqdm

from gharbal.errors import ConfigError, ShardError, StageError
from gharbal.executors.local import LocalExecutor
from gharbal.executors.progress import ProgressBar
from gharbal.executors.ray import RayExecutor
from gharbal.readers import NO_DOCUMENTS_HINT
from gharbal.recipe import MAX_WORKERS, Recipe
from gharbal.report import (
    UnknownDocumentError,
    build_report,
    explanation_lines,
)
from gharbal.report import (
    explain as explain_document,
)
from gharbal.runner.extract import extract_file
from gharbal.runner.pipeline import run as run_pipeline
from gharbal.stats import Stats
from gharbal.terminal import json_printable, printable
from gharbal.writers.output import is_url

SAMPLE = "data/sample/crawl.jsonl.gz"
EXIT_DAMAGED_INPUT = 3
EXIT_SHARD_FAILED = 4


def damaged_input(stats: Stats) -> int:
    """Documents rejected because the input was damaged (``read.*`` but not ``read.skip.*``)."""
    return sum(
        n
        for reason, n in stats.rejected_by_reason.items()
        if reason.startswith("read.") and not reason.startswith("read.skip.")
    )


def step_errors(stats: Stats) -> int:
    """Documents rejected because a step raised on them (``<step>.error``)."""
    return sum(n for reason, n in stats.rejected_by_reason.items() if reason.endswith(".error"))


def _usage(exc: Exception) -> click.UsageError:
    """A usage error (exit 2) from ``exc``, whose message may name input files: every message the
    CLI prints goes through `gharbal.terminal.printable`."""
    return click.UsageError(printable(str(exc), newlines=True))


def _recipe(path: str | None, **overrides: object) -> Recipe:
    recipe = Recipe.from_yaml(path) if path else Recipe()
    return recipe.with_overrides(**overrides)


def _progress(desc: str) -> tqdm[Never]:
    # tqdm draws only on a terminal; elsewhere (logs, CI) it stays quiet.
    return tqdm(desc=desc, unit=" docs", disable=not sys.stderr.isatty(), file=sys.stderr)


def _executor(
    kind: str, workers: int | None, recipe: Recipe, address: str | None
) -> LocalExecutor | RayExecutor:
    if kind == "ray":  # Ray itself is imported only when the executor first runs a task
        return RayExecutor(address=address, num_cpus=workers)
    if address is not None:
        raise ConfigError("--ray-address is for --executor ray")
    return LocalExecutor(recipe.workers)


def _summary(stats: Stats, out: str) -> str:
    lines = [
        f"input {stats.input}  kept {stats.kept}  rejected {stats.rejected}  "
        f"removed lines {stats.removed_lines}  -> {out}"
    ]
    for reason, n in stats.rejected_by_reason.most_common(5):
        lines.append(f"  rejected {n:>6}  {reason}")
    for item in stats.unreadable_files:
        lines.append(f"  unreadable file: {item['path']} ({item['reason']})")
    for path in stats.files_without_documents:
        lines.append(f"  no documents in: {path} ({NO_DOCUMENTS_HINT})")
    for item in stats.skipped_inputs:
        lines.append(f"  skipped input: {item['path']} ({item['why']})")
    if failed := step_errors(stats):
        lines.append(
            f"  {failed} documents failed inside a step (<step>.error in rejected/, with the "
            "exception and where it was raised)"
        )
    if not is_url(out) and (Path(out) / "report.html").is_file():
        lines.append(f"  report: {Path(out) / 'report.html'}")
    return "\n".join(printable(line) for line in lines)  # file names come from the input


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gharbal")
def main() -> None:
    """gharbal: clean, deduplicated, language-labelled text from crawled pages."""


@main.command()
@click.argument("inputs", nargs=-1)
@click.option("-o", "--output", default="gharbal-out", show_default=True, help="output directory")
@click.option("--recipe", "recipe_path", type=click.Path(), help="YAML recipe (defaults otherwise)")
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    help="worker processes (recipe: workers)",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="where to run: a local process pool, or Ray (pip install 'gharbal[ray]')",
)
@click.option(
    "--ray-address",
    help="Ray cluster to join ('auto', 'ray://head:10001'); default: start a local Ray "
    "(with --workers CPUs, all if not given)",
)
@click.option(
    "--resume",
    is_flag=True,
    help="keep the finished work of an interrupted run into OUTPUT (same recipe and inputs) "
    "and do the rest",
)
@click.option(
    "--staging",
    type=click.Path(file_okay=False),
    help="local directory workers write to when OUTPUT is a URL (s3://, gs://, ...); "
    "default: under ~/.cache/gharbal/staging",
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
    "read.skip.*) or a document failed inside a step (<step>.error)",
)
@click.option(
    "--site-stats/--no-site-stats",
    "site_stats",
    default=None,
    help="use the pages of each site together, or judge every page alone (recipe: "
    "extract.lines.site_stats; on by default)",
)
def run(
    inputs: tuple[str, ...],
    output: str,
    recipe_path: str | None,
    workers: int | None,
    executor: str,
    ray_address: str | None,
    resume: bool,
    staging: str | None,
    output_format: str | None,
    strict: bool,
    site_stats: bool | None,
) -> None:
    """Run the whole pipeline on INPUTS (files, directories, globs or fsspec URLs; JSONL, WARC/WET,
    HTML, Parquet or text pages, the format detected from the content).

    With no INPUTS, runs on the sample crawl bundled with gharbal. OUTPUT is a directory or an
    fsspec URL (s3://bucket/out, gs://..., memory://...).
    """
    try:
        recipe = _recipe(recipe_path, workers=workers)
        if output_format is not None:
            recipe = recipe.with_overrides(
                output={**recipe.output.model_dump(), "format": output_format}
            )
        if site_stats is not None:
            extract = recipe.extract.model_dump()
            extract["lines"]["site_stats"] = site_stats
            recipe = recipe.with_overrides(extract=extract)
        runner = _executor(executor, workers, recipe, ray_address)
        with (
            as_file(files("gharbal") / SAMPLE) as sample,
            ProgressBar("gharbal run") as bar,
            runner,
        ):
            stats = run_pipeline(
                list(inputs) or [str(sample)],
                output,
                recipe,
                bar,
                runner,
                resume=resume,
                staging=staging,
            )
    except ConfigError as exc:
        raise _usage(exc) from None
    except (ShardError, StageError) as exc:
        # Not a document's failure (those are rejections): a shard's documents could not be
        # counted, or a stage could not finish, so the run stops; what finished is kept for
        # --resume.
        cause = exc.__cause__
        click.echo(printable(f"gharbal: error: {exc}", newlines=True), err=True)
        if cause is not None and os.environ.get("GHARBAL_DEBUG"):
            traceback.print_exception(cause)
        click.echo(
            "The work that finished is kept: once the cause is fixed, the same command with "
            "--resume does the rest (GHARBAL_DEBUG=1 prints the traceback).",
            err=True,
        )
        sys.exit(EXIT_SHARD_FAILED)
    click.echo(_summary(stats, output), err=True)
    damaged, failed = damaged_input(stats), step_errors(stats)
    if strict and (damaged or failed):
        click.echo(
            f"--strict: {damaged} records rejected for damaged input, {failed} documents failed "
            "inside a step",
            err=True,
        )
        sys.exit(EXIT_DAMAGED_INPUT)


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option(
    "-o", "--output", required=True, help="output JSONL file ({id, title, text} per record)"
)
@click.option(
    "--recipe", "recipe_path", type=click.Path(), help="YAML recipe (its extract section)"
)
@click.option(
    "--no-site-stats",
    is_flag=True,
    help="judge every page alone (default: pages of the same site are used together, unless the "
    "recipe says extract.lines.site_stats: false)",
)
def extract(input_path: str, output: str, recipe_path: str | None, no_site_stats: bool) -> None:
    """Main-content extraction only: one {id, title, text} record per input record.

    Records that cannot be read at all (broken JSON, a truncated file) have no id to report under;
    they are written to OUTPUT's sibling ``<name>.rejected.jsonl`` with their reason. An input
    that vanishes or fails to read mid-run, or an output that cannot be written, exits 4.
    """
    try:
        recipe = _recipe(recipe_path)
        with _progress("gharbal extract") as bar:
            counts = extract_file(
                input_path,
                output,
                recipe,
                bar.update,
                site_stats=not no_site_stats and recipe.extract.lines.site_stats,
            )
    except ConfigError as exc:
        raise _usage(exc) from None
    except (OSError, ShardError, StageError) as exc:
        # The input vanished or failed to read mid-run (a shard's failure, its cause named), or the
        # output could not be written: not a record's fault, so no rejection stands for it; no
        # partial output is left.
        what = f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc)
        click.echo(
            printable(f"gharbal extract: error: {input_path} -> {output}: {what}", newlines=True),
            err=True,
        )
        if os.environ.get("GHARBAL_DEBUG"):
            traceback.print_exception(exc.__cause__ or exc)
        sys.exit(EXIT_SHARD_FAILED)
    msg = f"{counts.written} records -> {output}"
    notes = [f"{counts.unreadable} unreadable"] if counts.unreadable else []
    if counts.skipped:
        notes.append(f"{counts.skipped} skipped (not HTML pages, or not HTTP 2xx)")
    if counts.refused:
        notes.append(f"{counts.refused} refused (too many lines, or nested too deep)")
    if notes:
        msg += f"; {' and '.join(notes)} -> {Path(output).with_suffix('.rejected.jsonl')}"
    click.echo(printable(msg), err=True)


@main.command()
@click.argument("out", metavar="OUT")
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="kept pages in the page viewer (a deterministic sample)",
)
@click.option("-o", "--output", help="where to write the report  [default: OUT/report.html]")
@click.option(
    "--workers", type=click.IntRange(min=1, max=MAX_WORKERS), default=1, show_default=True
)
def report(out: str, max_pages: int, output: str | None, workers: int) -> None:
    """(Re)build OUT/report.html from the output directory OUT of a run."""
    try:
        with tqdm(
            desc="gharbal report", unit=" shards", disable=not sys.stderr.isatty(), file=sys.stderr
        ) as bar:
            path = build_report(
                out, max_pages=max_pages, output=output, workers=workers, on_shard=bar.update
            )
    except ConfigError as exc:
        raise _usage(exc) from None
    except StageError as exc:  # the report cannot be written (a full disk): one line, exit 4
        click.echo(printable(f"gharbal: error: {exc}", newlines=True), err=True)
        sys.exit(EXIT_SHARD_FAILED)
    click.echo(printable(f"report -> {path}"), err=True)


_STYLE: dict[str, dict[str, object]] = {
    "head": {"bold": True},
    "remove": {"fg": "red"},
    "detail": {"dim": True},
    "title": {"bold": True},
    "note": {"fg": "yellow"},
}


@main.command()
@click.argument("out", metavar="OUT")
@click.argument("doc_id", metavar="ID")
@click.option("--full", is_flag=True, help="print whole lines (default: cut to the terminal)")
@click.option("--removed-only", is_flag=True, help="list only the removed lines")
@click.option("--json", "as_json", is_flag=True, help="print the explanation as JSON")
def explain(out: str, doc_id: str, full: bool, removed_only: bool, as_json: bool) -> None:
    """Why document ID was dropped, or which of its lines were removed and why.

    Exits 1 when OUT holds no document with that id. Control characters in the page's data are
    printed visibly (ESC as \\x1b), never sent to the terminal; in --json they are JSON escapes.
    """
    try:
        exp = explain_document(out, doc_id)
    except ConfigError as exc:
        raise _usage(exc) from None
    except UnknownDocumentError as exc:
        click.echo(printable(f"Error: {exc}"), err=True)
        sys.exit(1)
    if as_json:
        click.echo(json_printable(json.dumps(exp.to_json(), ensure_ascii=False, indent=1)))
        return
    for kind, text in explanation_lines(exp, full=full, removed_only=removed_only):
        click.secho(printable(text), **_STYLE.get(kind, {}))  # type: ignore[arg-type]


@main.command(name="eval")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--input",
    "source",
    type=click.Choice(["page_text", "html"]),
    default="page_text",
    show_default=True,
    help="what to extract from: the plain page text or the raw HTML",
)
@click.option("--no-site-stats", is_flag=True, help="judge every page alone")
@click.option(
    "--recipe", "recipe_path", type=click.Path(), help="YAML recipe (its extract section)"
)
@click.option(
    "--cv-models",
    type=click.Path(exists=True, dir_okay=False),
    help="folds.json from scripts/train_lines.py --cv: each page judged by a model blind to its site",
)
@click.option("--pred", type=click.Path(dir_okay=False), help="also write {id, text} predictions")
def eval_(
    inputs: tuple[str, ...],
    source: str,
    no_site_stats: bool,
    recipe_path: str | None,
    cv_models: str | None,
    pred: str | None,
) -> None:
    """Extract labelled pages (INPUTS: JSONL with gold_text or gold_with/gold_without, as the
    development set) and print token precision/recall/F1 per source and language (as score.py),
    snippet scores, title agreement and pages/s."""
    from gharbal.runner.evaluate import evaluate

    try:
        recipe = _recipe(recipe_path)
        result = evaluate(
            inputs,
            recipe.extract,
            source=source,
            site_stats=not no_site_stats and recipe.extract.lines.site_stats,
            models_by_site=Path(cv_models) if cv_models else None,
            pred=Path(pred) if pred else None,
        )
    except (ConfigError, OSError, ValueError) as exc:
        raise _usage(exc) from None
    click.echo(printable(result.table(), newlines=True))
