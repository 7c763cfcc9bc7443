# Stub of the optional C extension (src/gharbal/extract/_scan.c).
from typing import Any

def scan(
    text: str,
    folded: str,
    n: int,
    han: int,
    japanese: int,
    cls: Any,
    script: Any,
    wt: Any,
    classes: Any,
    scripts: Any,
    page_scripts: Any,
    sizes: Any,
    word_chars: Any,
    word_hash: Any,
    lex_hash: Any,
    lex_sizes: Any,
    form_hash: Any,
    overlaps: Any,
    facts: Any,
    word_flags: Any,
    /,
) -> tuple[int, int]: ...
def hash_strings(strings: Any, out: Any, /) -> None: ...
def lexicon(
    table: Any, values: Any, hashes: Any, sizes: Any, entries: Any, stats: Any, /
) -> None: ...
def title_counts(
    word_hash: Any,
    word_flags: Any,
    starts: Any,
    sizes: Any,
    table: Any,
    candidates: Any,
    body: Any,
    out: Any,
    /,
) -> None: ...
def assemble(*args: Any) -> None: ...
def count_found(table: Any, hashes: Any, sizes: Any, out: Any, /) -> None: ...
def cover(table: Any, masks: Any, hashes: Any, out: Any, /) -> None: ...
def repeats(form_hash: Any, out: Any, /) -> None: ...
def line_scripts(
    classes: Any,
    line_scripts: Any,
    sizes: Any,
    stopwords: Any,
    page_script: int,
    han: int,
    japanese: int,
    min_letters: int,
    max_stopwords: float,
    sid: Any,
    flags: Any,
    /,
) -> None: ...
def short_details(chars: Any, words: Any, ends: Any, /) -> list[str]: ...
