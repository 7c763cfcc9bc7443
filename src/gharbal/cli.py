"""The command line: a thin skin over the Python API (`gharbal.run`, `gharbal.extract_file`).

Exit codes: 0 when the run completed (bad records are rejections, not failures), 2 for a usage or
recipe error (nothing was run), 1 for an unexpected failure.
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
def run(
    inputs: tuple[str, ...],
    output: str,
    recipe_path: str | None,
    workers: int | None,
    executor: str,
) -> None:
    """Run the whole pipeline on INPUTS (files, directories, globs; the format is detected).

    With no INPUTS, runs on the sample crawl bundled with gharbal.
    """
    try:
        recipe = _recipe(recipe_path, workers=workers)
        with as_file(files("gharbal") / SAMPLE) as sample, _progress("gharbal run") as bar:
            stats = run_pipeline(list(inputs) or [str(sample)], output, recipe, bar.update)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(_summary(stats, Path(output)), err=True)


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
    help="judge every page alone (default: pages of the same site are used together)",
)
def extract(input_path: str, output: str, recipe_path: str | None, no_site_stats: bool) -> None:
    """Main-content extraction only: one {id, title, text} record per input record.

    Records that cannot be read at all (broken JSON, a truncated file) have no id to report under;
    they are written to OUTPUT's sibling ``<name>.rejected.jsonl`` with their reason.
    """
    try:
        recipe = _recipe(recipe_path)
        with _progress("gharbal extract") as bar:
            written, unreadable = extract_file(
                input_path, output, recipe, bar.update, site_stats=False if no_site_stats else None
            )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    msg = f"{written} records -> {output}"
    if unreadable:
        msg += f"; {unreadable} unreadable -> {Path(output).with_suffix('.rejected.jsonl')}"
    click.echo(msg, err=True)


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
    from gharbal.evaluate import evaluate

    try:
        recipe = _recipe(recipe_path)
        result = evaluate(
            inputs,
            recipe.extract,
            source=source,
            site_stats=not no_site_stats,
            models_by_site=Path(cv_models) if cv_models else None,
            pred=Path(pred) if pred else None,
        )
    except (ConfigError, OSError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(result.table())
