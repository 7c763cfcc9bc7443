"""Completion markers and resume: which work of a run is finished, and what is left to do.

A run is a sequence of phases over the same shards (see `gharbal.runner.phases`). Each unit of work leaves
a marker, written atomically (temporary name, then rename) and only after everything it stands for
has been renamed into place:

::

    OUT/shards/part-NNNNN.stats.json                  last phase, shard NNNNN (the ledger's own marker)
    OUT/stages/KK-name/shards/part-NNNNN.stats.json   phase KK (observed by aggregation ``name``)
    OUT/stages/KK-name/finalize.json                  the aggregation's ``finalize`` has run

A marker holds the stats of its work, so that a resumed run merges the same figures as an uninterrupted
one. ``OUT/plan.json`` records the shards (input files, sizes, modification times, byte ranges) and
the gharbal version; ``OUT/recipe.yaml`` the recipe. ``--resume`` refuses to go on if either differs
from what the run would do now, then runs only what is missing (`schedule`): a shard of the last phase
without its marker, the earlier phases' shards it needs whose markers are missing, and an aggregation's
``finalize`` (with every shard of its phase) if a later shard needs its result and it has not run.
Since every shard's output depends only on its input and the recipe, redone work gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from gharbal.errors import ConfigError
from gharbal.readers import InputFile, Shard
from gharbal.readers.location import clean_name
from gharbal.recipe import Recipe
from gharbal.stats import Stats
from gharbal.writers import write_json_atomic

PLAN = "plan.json"
PLAN_FORMAT = 1


def marker_name(shard: int) -> str:
    return f"part-{shard:05d}.stats.json"


def stage_marker(workdir: Path, shard: int) -> Path:
    return workdir / "shards" / marker_name(shard)


def finalize_marker(workdir: Path) -> Path:
    return workdir / "finalize.json"


def write_marker(path: Path, stats: Stats) -> None:
    write_json_atomic(path, stats.to_json())


def read_marker(path: Path) -> Stats | None:
    """The stats a marker holds, or None if the work is not done (no marker, or an unreadable one)."""
    try:
        return Stats.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def gharbal_version() -> str:
    try:
        return metadata.version("gharbal")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _fingerprint(path: object) -> dict[str, Any]:
    """What identifies an input file's content cheaply: its size and modification time (for a URL,
    what its filesystem reports: size, and an ETag, checksum or time where there is one)."""
    if isinstance(path, Path):
        st = path.stat()
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    import fsspec.core

    fs, root = fsspec.core.url_to_fs(str(path))
    info = fs.info(root)
    found = {"size": info.get("size")}
    for key in ("ETag", "etag", "md5Hash", "crc32c", "LastModified", "mtime", "updated", "created"):
        if info.get(key) is not None:
            found[key] = str(info[key])
    return found


def plan_record(shards: list[Shard], stages: list[str]) -> dict[str, Any]:
    """The plan as saved in ``OUT/plan.json`` (and compared on resume): the shards, and the
    pipeline's cross-document stages (``stages/`` names), which split it into phases."""
    rows = []
    for shard in shards:
        span = shard.span
        files: list[dict[str, Any]] = []
        for f in shard.files:
            try:
                files.append(
                    {"path": clean_name(str(f.path)), "kind": f.kind, **_fingerprint(f.path)}
                )
            except OSError as exc:  # gone since it was listed: nothing has run yet
                raise ConfigError(
                    f"input {f.path} cannot be read: {type(exc).__name__}: {exc}"
                ) from None
        rows.append(
            {
                "index": shard.index,
                "files": files,
                "span": None if span is None else [span.start, span.end, span.first_line],
            }
        )
    return {"format": PLAN_FORMAT, "gharbal": gharbal_version(), "stages": stages, "shards": rows}


def input_changed(file: InputFile, planned: dict[str, Any]) -> str | None:
    """How the local input ``file`` differs from its entry in the plan, or None if it does not (or
    is a URL: not checked, that would cost a request per file). A file that changed or vanished
    after the run was planned has given documents that are not the plan's."""
    if not isinstance(file.path, Path):
        return None
    try:
        now = _fingerprint(file.path)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    was = {k: planned.get(k) for k in now}
    return None if was == now else _first_difference(was, now)


def _recipe_key(recipe: Recipe) -> dict[str, Any]:
    data = recipe.model_dump(mode="json")
    data.pop("workers", None)  # how many processes does not change the output
    return data


def check_resumable(
    saved_recipe: str | None, saved_plan: str | None, recipe: Recipe, plan: dict[str, Any]
) -> bool:
    """True if there is an earlier run to resume, False if there is none (start afresh).

    Raises `ConfigError` if the earlier run used another recipe, other inputs or another version.
    """
    if saved_recipe is None and saved_plan is None:
        return False
    if saved_recipe is None or saved_plan is None:
        raise ConfigError(
            "cannot resume: the output has no "
            + ("recipe.yaml" if saved_recipe is None else PLAN)
            + " (not written by a run that can be resumed); run without --resume to start afresh"
        )
    import yaml

    try:
        before = Recipe.from_dict(yaml.safe_load(saved_recipe) or {})
    except (ConfigError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot resume: the saved recipe.yaml is not valid: {exc}") from None
    if _recipe_key(before) != _recipe_key(recipe):
        diff = _first_difference(_recipe_key(before), _recipe_key(recipe))
        raise ConfigError(
            f"cannot resume: the recipe differs from the interrupted run's ({diff}); "
            "use the same recipe, or run without --resume to start afresh"
        )
    try:
        old = json.loads(saved_plan)
    except ValueError:
        raise ConfigError(f"cannot resume: the saved {PLAN} is not valid JSON") from None
    if old.get("gharbal") != plan["gharbal"] or old.get("format") != plan["format"]:
        raise ConfigError(
            f"cannot resume: the interrupted run used gharbal {old.get('gharbal')}, this is "
            f"{plan['gharbal']}; run without --resume to start afresh"
        )
    if old.get("stages") != plan["stages"]:
        raise ConfigError(
            f"cannot resume: the interrupted run's cross-document stages were {old.get('stages')}, "
            f"this run's are {plan['stages']}; run without --resume to start afresh"
        )
    if old.get("shards") != plan["shards"]:
        diff = _shard_difference(old.get("shards"), plan["shards"])
        raise ConfigError(
            f"cannot resume: the inputs differ from the interrupted run's ({diff}); "
            "use the same inputs, or run without --resume to start afresh"
        )
    return True


def _shard_difference(before: Any, now: list[dict[str, Any]]) -> str:
    if not isinstance(before, list) or len(before) != len(now):
        count = len(before) if isinstance(before, list) else "?"
        return f"{count} shards before, {len(now)} now"
    for old, new in zip(before, now, strict=True):
        if old != new:
            files = ", ".join(f["path"] for f in new["files"][:3])
            return f"shard {new['index']} ({files}): {_first_difference(old, new)}"
    return "?"  # pragma: no cover - only called when they differ


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{where}.{key}".lstrip("."))
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where or 'list'}: {len(a)} entries before, {len(b)} now"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where or 'value'}: {a!r} before, {b!r} now"


@dataclass(frozen=True, slots=True)
class Schedule:
    """What a (resumed) run still has to do: per phase, the shards to run and whether the phase's
    aggregation must be finalized afterwards."""

    run: tuple[frozenset[int], ...]
    finalize: tuple[bool, ...]


def schedule(
    num_phases: int,
    num_shards: int,
    done: Callable[[int, int], bool],
    finalized: Callable[[int], bool],
) -> Schedule:
    """Work left, from the markers: ``done(phase, shard)`` and ``finalized(phase)`` (see the module
    docstring). Walks back from the last phase, asking of each earlier phase only what is needed."""
    last = num_phases - 1
    run: list[frozenset[int]] = [frozenset()] * num_phases
    fin = [False] * num_phases
    need = set(range(num_shards))
    for phase in range(last, -1, -1):
        run[phase] = frozenset(s for s in need if not done(phase, s))
        if phase == 0:
            break
        if run[phase] and not finalized(phase - 1):
            fin[phase - 1] = True
            need = set(range(num_shards))  # finalize reads what every shard observed
        else:
            need = set(run[phase])
    return Schedule(tuple(run), tuple(fin))


__all__ = [
    "PLAN",
    "Schedule",
    "check_resumable",
    "finalize_marker",
    "input_changed",
    "marker_name",
    "plan_record",
    "read_marker",
    "schedule",
    "stage_marker",
    "write_marker",
]
