"""The reader interface, format detection and input planning.

A reader turns one input file into documents. It never raises for bad content: a record it cannot
parse becomes a rejected `Document` (``read.*`` reason, with file and line or offset in the detail),
and a file that breaks off or cannot be read at all yields one rejected document with a
``read.file.*`` reason, so that every input is accounted for. A file that vanishes or fails to
read after planning is not the file's fault but the run's: the reader lets that error propagate
(`gharbal.readers.compression.input_lost`), and the shard fails. New formats slot in by adding a
`Reader` to `READERS` and a rule to `detect_format`.

An input is a local `Path` or an fsspec URL (see `gharbal.readers.location`).
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gharbal.document import Document, content_id
from gharbal.errors import ConfigError
from gharbal.readers.compression import peek
from gharbal.readers.config import ReadConfig
from gharbal.readers.location import Location, clean_name, expand_url, is_url, suffixes_of
from gharbal.readers.sniff import (
    looks_like_html,
    looks_like_json,
    looks_like_parquet,
    looks_like_warc,
)

_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_COMPRESSION_SUFFIXES = {".gz", ".zst", ".zstd"}
_TEXT_SUFFIXES = {".txt", ".text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_WARC_SUFFIXES = {".warc", ".wet", ".arc"}


class Reader(Protocol):
    """Reads one file. ``base`` is the directory the file was found in, for relative ids."""

    kind: str

    def read(
        self, path: Location, cfg: ReadConfig, base: Location | None
    ) -> Iterator[Document]: ...


def file_rejection(path: Location, reason: str, detail: str) -> Document:
    """A placeholder document standing for a file (or its unreadable rest) in the ledger."""
    doc = Document(id=content_id("file", str(path), reason, detail), source=str(path))
    doc.reject(reason, f"{path}: {detail}")
    return doc


def detect_format(path: Location) -> str:
    """``warc``, ``parquet``, ``jsonl``, ``html``, ``text`` or ``binary``: by content (magic bytes,
    the first bytes of the decompressed data), and by name only where the content is ambiguous
    (an empty file, a ``{`` at the start of a ``.txt``)."""
    head = peek(path)
    suffixes = suffixes_of(path)
    while suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    if looks_like_parquet(head):
        return "parquet"
    if looks_like_warc(head):
        return "warc"
    if not head.strip():  # empty: the name is all there is; the reader reports it
        if last in _WARC_SUFFIXES:
            return "warc"
        if last == ".parquet":
            return "parquet"
        if last in _HTML_SUFFIXES:
            return "html"
        return "jsonl" if last in _JSONL_SUFFIXES else "text"
    if looks_like_json(head) and last not in _TEXT_SUFFIXES | _HTML_SUFFIXES:
        return "jsonl"  # before the NUL test: one bad line must not condemn a whole JSONL file
    if looks_like_html(head) or (last in _HTML_SUFFIXES and b"\x00" not in head):
        return "html"
    if b"\x00" in head:
        return "binary"
    if last in _JSONL_SUFFIXES:
        return "jsonl"
    return "text"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Location
    base: Location | None  # the directory given on the command line, for relative ids
    kind: str


UNREADABLE_DIR = "unreadable_dir"
"""The kind of an `InputFile` that is a directory inside an input directory that cannot be listed:
its reader yields one ``read.file.unreadable`` rejection standing for whatever it holds."""


@dataclass(frozen=True, slots=True)
class SkippedInput:
    """An entry of an input directory that is not read, and why: it is listed in the run's summary
    and ``stats.json`` (``skipped_inputs``), never dropped without a word."""

    path: str
    why: str

    def to_json(self) -> dict[str, str]:
        return {"path": clean_name(self.path), "why": self.why}


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:  # gone, or cannot be searched: a glob match that names nothing readable
        return False


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _walk(
    top: Path, exclude: Path | None, skipped: list[SkippedInput]
) -> tuple[list[Path], list[Path]]:
    """The regular files under ``top`` (symlinks to files included) and its subdirectories that
    cannot be listed, hidden entries left out.

    Written with `os.scandir` rather than `Path.rglob`, which skips unreadable directories,
    symlinked directories, FIFOs, sockets and dangling links without a word. Those are recorded in
    ``skipped`` (symlinked directories are not followed: a link cycle or a second copy of a tree
    would be read forever or twice); an unreadable subdirectory is returned so that it stands in
    the ledger as a rejection. ``exclude`` (the run's output directory, when it lies inside an
    input directory) is skipped and listed, so a rerun never reads its own previous output."""
    files: list[Path] = []
    unreadable: list[Path] = []
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if folder == top:
                raise ConfigError(
                    f"input directory {str(top)!r} cannot be listed: {type(exc).__name__}: "
                    f"{exc.strerror or exc}"
                ) from None
            unreadable.append(folder)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    try:
                        mode = path.stat().st_mode  # the target's
                    except OSError:
                        skipped.append(SkippedInput(str(path), "dangling symlink"))
                        continue
                    if stat.S_ISDIR(mode):
                        skipped.append(
                            SkippedInput(str(path), "symlink to a directory: not followed")
                        )
                        continue
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                skipped.append(SkippedInput(str(path), f"cannot stat: {exc.strerror or exc}"))
                continue
            if stat.S_ISDIR(mode):
                if exclude is not None and _is_within(path.resolve(), exclude):
                    skipped.append(SkippedInput(str(path), "the run's output directory"))
                else:
                    stack.append(path)
            elif stat.S_ISREG(mode):
                files.append(path)
            else:
                skipped.append(SkippedInput(str(path), f"not a regular file ({_file_type(mode)})"))
    return files, unreadable


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _check_output(item: str, path: Path, output: Path | None) -> Path | None:
    """The output directory to leave out of ``path``'s walk, or None. Raises `ConfigError` if the
    output is the input, or holds it (the run clears its output: it would read, then delete, its
    input)."""
    if output is None:
        return None
    here = path.resolve()
    if here == output:
        raise ConfigError(
            f"the output directory {str(output)!r} is the input {item!r}: a run would read its own "
            "output; write it elsewhere"
        )
    if output in here.parents:
        raise ConfigError(
            f"input {item!r} is inside the output directory {str(output)!r}, which a run clears; "
            "move it or write elsewhere"
        )
    return output if here in output.parents else None  # the output lies inside this input


def _check_output_url(item: str, output: str | None) -> None:
    if output is None:
        return
    here = item.rstrip("/")
    if here == output or here.startswith(output + "/"):
        raise ConfigError(
            f"input {item!r} is the output {output!r} or inside it: a run would read its own "
            "output; write it elsewhere"
        )


def expand_inputs(
    inputs: list[str],
    output: Location | None = None,
    skipped: list[SkippedInput] | None = None,
) -> list[InputFile]:
    """Files, directories (walked, sorted, hidden entries skipped), globs and fsspec URLs (of a
    file, a directory or a glob), in a stable order.

    ``output`` is the run's output directory: an input that is it or lies inside it is refused,
    and where it lies inside an input directory it is left out of the walk (and listed). Entries of
    a directory that are not read (symlinked directories, FIFOs, sockets, dangling links, the
    output) are appended to ``skipped``; a subdirectory that cannot be listed becomes an
    `UNREADABLE_DIR` input.

    Raises `ConfigError` for an input that names nothing (a missing path, a glob without match, an
    empty directory, a directory that cannot be listed), before any work starts.
    """
    skipped = [] if skipped is None else skipped
    out_path = output.resolve() if isinstance(output, Path) else None
    out_url = output.rstrip("/") if isinstance(output, str) else None
    found: list[InputFile] = []
    for item in inputs:
        if is_url(item):
            _check_output_url(item, out_url)
            urls, url_base = expand_url(item, glob.has_magic(item))
            kept = [u for u in urls if not (out_url and u.startswith(out_url + "/"))]
            if len(kept) < len(urls) and out_url:
                skipped.append(SkippedInput(out_url, "the run's output directory"))
            if not kept:
                raise ConfigError(f"input {item!r} holds no file but the run's output")
            found.extend(InputFile(u, url_base, detect_format(u)) for u in kept)
            continue
        path = Path(item)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None  # a glob, or nothing
        except OSError as exc:  # a parent directory that cannot be searched, a loop of links
            raise ConfigError(
                f"input {item!r} cannot be accessed: {type(exc).__name__}: {exc.strerror or exc}"
            ) from None
        if mode is not None and stat.S_ISDIR(mode):
            exclude = _check_output(item, path, out_path)
            before = len(skipped)
            files, unreadable = _walk(path, exclude, skipped)
            if not files and not unreadable:
                why = "; ".join(f"{s.path}: {s.why}" for s in skipped[before:])
                raise ConfigError(
                    f"input directory {item!r} holds no file to read"
                    + (f" (skipped: {why})" if why else "")
                )
            entries = [(p, detect_format(p)) for p in files]
            entries.extend((d, UNREADABLE_DIR) for d in unreadable)
            found.extend(InputFile(p, path, kind) for p, kind in sorted(entries))
        elif mode is not None and stat.S_ISREG(mode):
            _check_output(item, path, out_path)
            found.append(InputFile(path, None, detect_format(path)))
        elif glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            files = [m for m in matches if _is_file(m)]
            if not files:
                raise ConfigError(f"input pattern {item!r} matches no file")
            for m in files:
                _check_output(item, m, out_path)
            found.extend(InputFile(p, None, detect_format(p)) for p in files)
        elif mode is not None:
            raise ConfigError(f"input {item!r} is not a regular file or a directory")
        else:
            raise ConfigError(f"input {item!r} does not exist")
    return _once(found, skipped)


def _once(found: list[InputFile], skipped: list[SkippedInput]) -> list[InputFile]:
    """``found`` without a file met a second time (given twice, or in two of the inputs given):
    read twice, its records would be in the output twice. The later mentions are listed."""
    seen: set[str] = set()
    out: list[InputFile] = []
    for f in found:
        key = str(f.path.resolve()) if isinstance(f.path, Path) else f.path
        if key in seen:
            skipped.append(SkippedInput(str(f.path), "already an input (read once)"))
            continue
        seen.add(key)
        out.append(f)
    return out
