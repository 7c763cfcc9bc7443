from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gharbal import (
    ConfigError,
    Document,
    DocumentStep,
    InvariantError,
    Line,
    Recipe,
    RetryableError,
    RunContext,
    Stats,
    Step,
    Verdict,
)
from gharbal.document import content_id
from gharbal.step import Aggregation


def test_rejection_is_a_value_with_stage() -> None:
    doc = Document(id="a", text="x")
    assert not doc.rejected
    doc.reject("quality.gopher.stopwords", "ratio 0.01")
    assert doc.rejected
    assert doc.rejection is not None
    assert doc.rejection.stage == "quality"
    assert doc.rejection.detail == "ratio 0.01"


def test_line_remove_sets_reason() -> None:
    ln = Line(no=3, text="share")
    ln.remove("extract.lines.short", "1 word")
    assert (ln.verdict, ln.reason, ln.detail) == (Verdict.REMOVE, "extract.lines.short", "1 word")
    doc = Document(id="a", lines=[ln, Line(no=4, text="kept")])
    assert doc.removed_lines() == [ln]


def test_content_id_is_stable_and_separates_parts() -> None:
    assert content_id("ab", "c") == content_id("ab", "c")
    assert content_id("ab", "c") != content_id("a", "bc")
    assert len(content_id("x")) == 16


class Upper(DocumentStep):
    name = "upper"

    def process(self, doc: Document) -> Document:
        doc.text = doc.text.upper()
        if "DROP" in doc.text:
            doc.reject("quality.test", "asked to")
        return doc


def test_document_step_skips_rejected_and_times_itself() -> None:
    ctx = RunContext()
    early = Document(id="r", text="untouched")
    early.reject("read.invalid_json")
    docs = [Document(id="1", text="a"), early, Document(id="2", text="drop me")]
    step = Upper()
    assert isinstance(step, Step)
    out = list(step(iter(docs), ctx))
    assert [d.id for d in out] == ["1", "r", "2"]  # order kept, nothing lost
    assert out[0].text == "A"
    assert out[1].text == "untouched"  # a rejected document bypasses process()
    assert out[2].rejection is not None
    assert out[2].rejection.reason == "quality.test"
    assert "upper" in ctx.stats.step_seconds


class Fragile(DocumentStep):
    name = "fragile"

    def process(self, doc: Document) -> Document:
        if "boom" in doc.text:
            raise ValueError("cannot handle " + doc.id)
        if "retry" in doc.text:
            raise RetryableError("transient")
        doc.text = doc.text.upper()
        return doc


def test_a_document_that_breaks_a_step_is_rejected_and_the_run_goes_on() -> None:
    ctx = RunContext()
    docs = [Document(id="1", text="a"), Document(id="2", text="boom"), Document(id="3", text="b")]
    out = list(Fragile()(iter(docs), ctx))
    assert [d.text for d in out] == ["A", "boom", "B"]
    rejection = out[1].rejection
    assert rejection is not None
    assert (rejection.stage, rejection.reason) == ("fragile", "fragile.error")
    assert rejection.detail == "ValueError: cannot handle 2"
    assert rejection.extra["exception"] == "ValueError"
    assert rejection.extra["where"].startswith("test_core.py:")
    # A GharbalError is a decision about the run (here: retry the shard), not about the document.
    with pytest.raises(RetryableError):
        list(Fragile()(iter([Document(id="4", text="retry")]), ctx))


def test_plain_generator_is_a_step() -> None:
    class Passthrough:
        name = "pass"

        def __call__(self, docs: Iterator[Document], ctx: RunContext) -> Iterator[Document]:
            yield from docs

    assert isinstance(Passthrough(), Step)


def test_stats_invariant_and_merge() -> None:
    a = Stats(input=3, kept=2, rejected=1)
    a.rejected_by_reason["read.invalid_json"] += 1
    b = Stats(input=1, kept=1, removed_lines=2)
    b.removed_lines_by_reason["extract.lines.short"] += 2
    a.merge(b)
    a.check()
    assert a.to_json()["input"] == 4
    assert Stats.from_json(a.to_json()) == a
    a.kept += 1
    with pytest.raises(InvariantError):
        a.check()


def test_recipe_defaults_roundtrip_yaml(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "r.yaml"
    recipe = Recipe()
    path.write_text(recipe.to_yaml(), encoding="utf-8")
    assert Recipe.from_yaml(path) == recipe


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("workers: 0", "workers"),
        ("extract: {lines: {stopwords_low: 2}}", "extract.lines.stopwords_low"),
        ("extract: {bogus: 1}", "extract.bogus"),
        ("- a list", "must be a mapping"),
        ("a: [unclosed", "not valid YAML"),
        ("!!python/object/apply:os.system ['echo owned']", "not valid YAML"),
    ],
)
def test_recipe_is_validated_before_work(tmp_path: object, text: str, fragment: str) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Recipe.from_yaml(path)
    assert fragment in str(info.value)


def test_recipe_overrides_are_validated() -> None:
    assert Recipe().with_overrides(workers=2).workers == 2
    assert Recipe().with_overrides(workers=None).workers == 1
    with pytest.raises(ConfigError):
        Recipe().with_overrides(workers=-1)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"workers": True}, "workers: Input should be a valid integer, got bool True"),
        ({"workers": "2"}, "workers: Input should be a valid integer, got str '2'"),
        ({"lang": {"enabled": "yes"}}, "lang.enabled: Input should be a valid boolean"),
        ({"read": {"shard_bytes": 1.0}}, "read.shard_bytes"),
        ({"extract": {"lines": {"site_stats": 1}}}, "extract.lines.site_stats"),
        ({"quality": {"gopher": {"min_doc_words": 50.5}}}, "quality.gopher.min_doc_words"),
        ({"quality": {"c4": {"lines": {"javascript": "no"}}}}, "quality.c4.lines.javascript"),
        ({"quality": {"languages": {"ar": {"gopher": {"enabled": 0}}}}}, "languages.ar"),
        ({"pii": {"tokens": {"email": 1}}}, "pii.tokens.email"),
        ({"dedup": {"near": {"bands": "14"}}}, "dedup.near.bands"),
        ({"report": {"enabled": "true"}}, "report.enabled"),
        ({"output": {"rejected_text": "yes"}}, "output.rejected_text"),
    ],
)
def test_recipe_types_are_strict(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        Recipe.from_dict(data)
    assert fragment in str(info.value)


def test_recipe_strict_types_still_take_ints_for_floats_and_yaml_forms(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "lang: {enabled: yes, line_min_confidence: 1}\n"
        "extract: {lines: {stopwords_low: 0}}\n"
        "quality:\n"
        "  fineweb: {min_line_punct_ratio: 0}\n"
        "  gopher: {stop_words: [a, b]}\n"
        "  gopher_repetition: {top_n_grams: {2: 1, '3': 0.5}}\n"
        "  languages: {zh: {gopher_repetition: {dup_n_grams: {'8': 1}}}}\n"
        "dedup: {near: {min_similarity: 1}}\n",
        encoding="utf-8",
    )
    recipe = Recipe.from_yaml(path)
    assert recipe.lang.line_min_confidence == 1.0
    assert isinstance(recipe.dedup.near.min_similarity, float)
    assert recipe.quality.gopher_repetition.top_n_grams == {2: 1.0, 3: 0.5}
    assert recipe.quality.for_language("zh").gopher_repetition.dup_n_grams == {8: 1.0}
    # OUT/recipe.yaml (n-gram sizes written as strings) reads back to the same recipe
    path.write_text(recipe.to_yaml(), encoding="utf-8")
    assert Recipe.from_yaml(path) == recipe


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("workers: 1\nworkers: 2\n", "duplicate key 'workers' at line 2 (first given at line 1)"),
        (
            "extract:\n  lines:\n    threshold: 0.5\n    method: model\n    threshold: 0.6\n",
            "duplicate key 'threshold' at line 5 (first given at line 3)",
        ),
        ("quality: {languages: {ar: {}, ar: {}}}\n", "duplicate key 'ar' at line 1"),
        ("pii:\n  tokens: {email: a, email: b}\n", "duplicate key 'email' at line 2"),
    ],
)
def test_recipe_duplicate_keys_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Recipe.from_yaml(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_recipe_yaml_merge_key_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "dedup:\n  exact: &on {enabled: true}\n  near:\n    <<: *on\n    enabled: false\n",
        encoding="utf-8",
    )
    assert Recipe.from_yaml(path).dedup.near.enabled is False


def _with_fragile(recipe: Recipe) -> list[Step | Aggregation]:
    return [Fragile()]


def test_a_run_with_a_failing_document_completes_and_accounts_for_it(tmp_path: Path) -> None:
    import gharbal

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(f'{{"id": "{i}", "text": "{t}"}}\n' for i, t in enumerate(["a", "boom", "c"])),
        encoding="utf-8",
    )
    stats = gharbal.run([str(src)], tmp_path / "out", Recipe(), build=_with_fragile)
    assert (stats.input, stats.kept, stats.rejected) == (3, 2, 1)
    assert stats.rejected_by_reason == {"fragile.error": 1}
