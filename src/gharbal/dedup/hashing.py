"""Hashes that deduplication compares: all of them are computed on the *match forms* of a text's
words (`gharbal.normalise.words` then `gharbal.normalise.match_form`: case, Unicode compatibility
forms, tatweel, Arabic diacritics and zero-width characters folded), never on the raw text, so an
Arabic word written with or without harakat, or stretched with tatweel, is the same word.

- `text_hash`: 128 bits of xxh3 over the match forms joined by spaces (exact duplicates);
- `word_hashes` / `shingle_hashes`: 64-bit hashes of words and of word n-grams (MinHash input);
- `MinHasher`: vectorised MinHash signatures (numpy) and their LSH band keys;
- `survivor_rank`: the key that orders the copies of a duplicate (smallest survives).

Every function here depends only on the text and the recipe (fixed constants, no random state), so
workers in other processes, or on other machines, compute the same values.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import struct
import sys
from collections.abc import Callable
from itertools import chain
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import xxhash

from gharbal.dedup.config import KeepConfig
from gharbal.document import Document
from gharbal.normalise.text import clear_match_form_cache, match_form, words

T = TypeVar("T")
U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_C1 = np.uint64(0xFF51AFD7ED558CCD)
_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)
_U64_MAX = (1 << 64) - 1


_CACHES: list[Callable[[], None]] = []


def clear_caches() -> None:
    """Empty the token caches of this process and hand the freed memory back to the system (a
    dedup stage calls this when it has hashed its documents and goes on to work that needs memory,
    not tokens: its ``finalize``)."""
    for clear in _CACHES:
        clear()
    clear_match_form_cache()
    _trim()


def _trim() -> None:
    """glibc keeps freed small blocks in its heap; ``malloc_trim`` returns what it can (as Dask's
    workers do). Elsewhere (macOS, musl) there is nothing to call."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _bounded_cache(fn: Callable[[str], T], size: int) -> Callable[[str], T]:
    """``fn`` memoised in a plain dict, emptied when it reaches ``size`` entries (twice as fast as
    ``functools.lru_cache`` on hits, which is what matters here)."""
    cache: dict[str, T] = {}

    def cached(key: str) -> T:
        value = cache.get(key)
        if value is None:
            if len(cache) >= size:
                cache.clear()
            value = cache[key] = fn(key)
        return value

    _CACHES.append(cache.clear)
    return cached


def _forms_of(token: str) -> tuple[str, ...]:
    """The match forms of the token's words (empty forms dropped)."""
    if token.isascii():
        # In ASCII, the shared tokeniser's words are the runs of letters and digits, and a word's
        # match form is its lower case (a test checks both against `words` and `match_form`):
        # a plain `re` scan, no Unicode rounds.
        return tuple(_ASCII_WORD.findall(token.lower()))
    return tuple(f for f in map(match_form, words(token)) if f)


_ONE = struct.Struct("<Q")
_ASCII_WORD = re.compile(r"[a-z0-9]+")  # applied to lower-cased ASCII


def form_hash(form: str) -> int:
    return xxhash.xxh3_64_intdigest(form.encode("utf-8", "surrogatepass"))


def _hashes_of(token: str) -> bytes:
    """The hashes of the token's words, packed as little-endian uint64."""
    forms = _forms_of(token)
    if len(forms) == 1:
        return _ONE.pack(form_hash(forms[0]))
    return struct.pack(f"<{len(forms)}Q", *map(form_hash, forms))


# Whitespace tokens repeat (Zipf): 16k cached tokens catch most of them (exact, paragraphs).
_token_forms = _bounded_cache(_forms_of, 1 << 14)


class _TokenHashes:
    """Tokens -> their word hashes packed as bytes, in two generations of up to ``size`` tokens:
    lookups hit the young one; a miss there is looked up in the old one (and moved back), else
    computed; when the young one is full it becomes the old one. Frequent tokens stay. Tokens are
    keyed by Python's 64-bit ``hash`` (an int is smaller than the token; a collision between two
    tokens of one process has odds of about 2**-64 per pair), so the cache stays near 5 MB."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.young: dict[int, bytes] = {}
        self.old: dict[int, bytes] = {}
        _CACHES.append(self.clear)

    def clear(self) -> None:
        self.young, self.old = {}, {}

    def packed(self, tokens: list[str]) -> list[bytes]:
        keys = list(map(hash, tokens))
        found = list(map(self.young.get, keys))
        # The misses are found with ``list.index`` (a scan in C), not a Python loop over every
        # token: most texts have a few misses among hundreds of hits.
        i = -1
        with contextlib.suppress(ValueError):
            while True:
                i = found.index(None, i + 1)
                key = keys[i]
                value = self.old.get(key)
                if value is None:
                    value = _hashes_of(tokens[i])
                if len(self.young) >= self.size:
                    self.old, self.young = self.young, {}
                found[i] = self.young[key] = value
        return found  # type: ignore[return-value]  # no None left


_token_hash_cache = _TokenHashes(1 << 15)


def normalised_words(text: str) -> list[str]:
    """The match forms of the words of ``text``, empty forms dropped.

    Words never contain whitespace, so the words of a text are the words of its whitespace-separated
    tokens in turn; tokens repeat, so they are cached, which is several times faster than
    tokenising every text whole (a test checks the two agree).
    """
    return list(chain.from_iterable(map(_token_forms, text.split())))


def text_hash(forms: list[str]) -> int:
    """A 128-bit hash of a normalised word sequence."""
    return xxhash.xxh3_128_intdigest(" ".join(forms).encode("utf-8", "surrogatepass"))


def id_hash(doc_id: str) -> int:
    return xxhash.xxh3_64_intdigest(doc_id.encode("utf-8", "surrogatepass"))


def word_hashes(text: str) -> U64:
    """One 64-bit hash per word of ``text`` (the hash of its match form, `normalised_words`).

    The hot path of near-duplicate detection: tokens are cached with their word hashes packed as
    bytes, so a text of cached tokens is hashed without a Python step per token (``map(dict.get)``,
    ``bytes.join``, ``np.frombuffer``; measured faster than tokenising the UTF-8 bytes in numpy).
    """
    joined = b"".join(_token_hash_cache.packed(text.split()))
    return np.frombuffer(joined, dtype="<u8").astype(np.uint64)


def fmix64(x: U64) -> U64:
    """MurmurHash3's 64-bit finaliser, vectorised (wraps modulo 2**64 by design)."""
    x = x ^ (x >> _S33)
    x = x * _C1
    x = x ^ (x >> _S33)
    x = x * _C2
    return x ^ (x >> _S33)


def shingle_hashes(word_hash: U64, n: int) -> U64:
    """64-bit hashes of the word ``n``-grams of a document (one per position); a document with
    fewer than ``n`` words (but at least one) is a single shingle of all its words."""
    length = len(word_hash)
    if length == 0:
        return word_hash
    m = max(length - n + 1, 1)
    width = min(n, length)
    h = word_hash[0:m] + np.uint64(width)
    for j in range(1, width):
        h = h * _MIX + word_hash[j : j + m]
    return fmix64(h)


def _param(seed: int, kind: str, index: int) -> int:
    return xxhash.xxh3_64_intdigest(f"gharbal.minhash:{seed}:{kind}:{index}".encode())


class MinHasher:
    """MinHash with ``bands * rows`` hash functions of the multiply-add-shift family
    ``h(x) = (a * x + b) >> 32`` over 64-bit shingle hashes (``a`` odd), giving 32-bit values.

    Signatures of many documents are computed together (one matrix product-like pass per batch of
    shingles, then ``np.minimum.reduceat`` per document), which is what makes it fast in numpy.
    """

    def __init__(self, ngram: int, bands: int, rows: int, seed: int) -> None:
        self.ngram, self.bands, self.rows = ngram, bands, rows
        self.num_perm = bands * rows
        self.a = np.array([_param(seed, "a", i) | 1 for i in range(self.num_perm)], dtype=np.uint64)
        self.b = np.array([_param(seed, "b", i) for i in range(self.num_perm)], dtype=np.uint64)
        # Shingles per pass: a (num_perm x batch) temporary of about 4 MB (measured fastest).
        self.batch = max(1, (4 << 20) // (8 * self.num_perm))

    def shingles(self, text: str) -> U64:
        return shingle_hashes(word_hashes(text), self.ngram)

    def signatures(self, shingles: list[U64]) -> U32:
        """One row of ``num_perm`` 32-bit MinHash values per (non-empty) shingle array."""
        out = np.empty((len(shingles), self.num_perm), dtype=np.uint32)
        sizes = np.fromiter((len(s) for s in shingles), dtype=np.int64, count=len(shingles))
        if (sizes == 0).any():
            raise ValueError("a document without shingles has no signature")
        buf = np.empty((self.num_perm, self.batch), dtype=np.uint64)
        i = 0
        while i < len(shingles):
            j, total = i, 0
            while j < len(shingles) and (j == i or total + sizes[j] <= self.batch):
                total += int(sizes[j])
                j += 1
            if total > self.batch:  # one long document: a running minimum over its chunks
                out[i] = self._running_min(shingles[i], buf)
            else:
                flat = np.concatenate(shingles[i:j]) if j - i > 1 else shingles[i]
                h = self._hash(flat, buf[:, :total])
                starts = np.concatenate(([0], np.cumsum(sizes[i : j - 1])))
                out[i:j] = np.minimum.reduceat(h, starts, axis=1).T
            i = j
        return out

    def _hash(self, flat: U64, buf: U64) -> U64:
        """``(num_perm, len(flat))`` hash values, in ``buf`` (permutations in rows: the
        layout that numpy's ``reduceat`` reads fastest)."""
        np.multiply(self.a[:, None], flat[None, :], out=buf)
        np.add(buf, self.b[:, None], out=buf)
        np.right_shift(buf, _S32, out=buf)
        return buf

    def _running_min(self, flat: U64, buf: U64) -> U64:
        best = np.full(self.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        for start in range(0, len(flat), self.batch):
            part = flat[start : start + self.batch]
            np.minimum(best, self._hash(part, buf[:, : len(part)]).min(axis=1), out=best)
        return best

    def band_keys(self, sigs: U32) -> U64:
        """``(documents, bands)`` 64-bit keys: a hash of each band's ``rows`` values."""
        n = sigs.shape[0]
        cube = sigs.reshape(n, self.bands, self.rows).astype(np.uint64)
        key = np.full((n, self.bands), np.uint64(self.rows), dtype=np.uint64)
        for r in range(self.rows):
            key = fmix64(key * _MIX + cube[:, :, r])
        return key


def estimated_similarity(a: U32, b: U32) -> npt.NDArray[np.float32]:
    """Row-wise share of agreeing MinHash values: an estimate of the Jaccard similarity."""
    return np.asarray((a == b).mean(axis=1, dtype=np.float64), dtype=np.float32)


def survivor_rank(doc: Document, keep: KeepConfig, shard: int, pos: int) -> int:
    """The primary key ordering the copies of a duplicate, as an unsigned 64-bit integer: the
    smallest survives (ties are then broken by the id hash, the text hash and input order)."""
    if keep.prefer == "first":
        return (shard << 32) | pos
    if keep.prefer == "longest":
        return _U64_MAX - min(len(doc.text), _U64_MAX)
    value = doc.scores.get(keep.score or "")
    if value is None or value != value:  # missing or NaN: last
        return _U64_MAX
    return _U64_MAX - _sortable_float(float(value))


def _sortable_float(x: float) -> int:
    """Map a float to an unsigned 64-bit integer with the same order."""
    bits = int(np.array(x, dtype=np.float64).view(np.uint64))
    return (~bits & _U64_MAX) if bits >> 63 else bits | (1 << 63)
