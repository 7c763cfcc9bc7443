"""The rule families' shape: one module per family with its config, measurement and rules, in
datatrove's chain order; reasons and scores named after their family; old import paths kept."""

from __future__ import annotations

import re
from types import ModuleType

import pytest

from gharbal.config import ConfigModel
from gharbal.document import Document
from gharbal.quality import (
    QualityConfig,
    QualityFilters,
    QualitySignals,
    c4,
    decide,
    fineweb,
    gopher,
    gopher_repetition,
    measure,
)
from gharbal.quality.analysis import Analysis
from gharbal.quality.config import BUILTIN_LANGUAGES
from gharbal.quality.families import FAMILIES
from gharbal.quality.filters import checks
from gharbal.quality.gopher import stopword_list
from gharbal.quality.rules import ABOVE, BELOW, Check, Direction, Family, PerN, Rule

CHAIN = ("gopher_repetition", "gopher", "c4", "fineweb")  # datatrove's order, as documented
MODULES: dict[str, ModuleType] = {
    "gopher_repetition": gopher_repetition,
    "gopher": gopher,
    "c4": c4,
    "fineweb": fineweb,
}
# Every score of every family is written for this text in English: lines C4 keeps, stopwords.
PAGE = "\n".join(
    [
        "The council met on Monday with the residents to discuss the new budget for schools.",
        "The mayor said that the plan would be ready before the end of the year, with changes.",
        "Residents will be able to comment on the plan at the town hall in the spring.",
        "Officials expect that the work on the roads will start in the spring of next year.",
        "Several members of the public attended the meeting and asked many questions.",
        "The next meeting of the council will be held in the library on a Thursday.",
    ]
)


def test_the_families_run_in_datatroves_chain_order() -> None:
    assert tuple(f.name for f in FAMILIES) == CHAIN
    assert tuple(MODULES[name].FAMILY for name in CHAIN) == FAMILIES
    # The recipe's sections come in the same order (recipe.yaml lists them so).
    assert list(QualityConfig.model_fields) == ["enabled", *CHAIN, "languages"]
    # Rules apply family by family, in that order.
    prefixes = [c.reason.split(".")[1] for c in checks(QualityConfig())]
    assert sorted(set(prefixes), key=prefixes.index) == list(CHAIN)
    assert prefixes == sorted(prefixes, key=CHAIN.index)


@pytest.mark.parametrize("name", CHAIN)
def test_every_family_module_has_its_config_measurement_and_rules(name: str) -> None:
    module = MODULES[name]
    family = module.FAMILY
    assert isinstance(family, Family)
    assert family.name == name == module.__name__.rsplit(".", 1)[1]
    assert issubclass(family.config, ConfigModel)
    assert family.config is type(getattr(QualityConfig(), name))
    assert family.measure is module.measure
    assert family.rules is module.RULES
    assert family.rules, "a family without rules"
    assert all(isinstance(rule, Rule | PerN) for rule in family.rules)
    assert family.scores == module.SCORES
    assert re.fullmatch(rf"quality\.{name}_v\d+", family.scores)
    assert family.languages is module.LANGUAGES


@pytest.mark.parametrize("lang", [None, *BUILTIN_LANGUAGES, "ar", "xx"])
@pytest.mark.parametrize("name", CHAIN)
def test_every_rule_reads_a_score_its_family_writes(name: str, lang: str | None) -> None:
    family = MODULES[name].FAMILY
    cfg = QualityConfig().for_language(lang)
    scores = measure(PAGE, lang, cfg)
    written = {k for k in scores if k.startswith(f"{family.scores}.")}
    assert written
    # Measured by the family alone (FineWeb on every line: no C4 before it) the names are the same.
    alone = family.measure(Analysis.of(PAGE), lang, family.section(cfg))
    assert set(alone) == written
    resolved = family.checks(family.section(cfg))
    for check in resolved:
        assert check.reason.startswith(f"quality.{name}."), check
        assert re.fullmatch(r"quality\.[a-z0-9_]+\.[a-z0-9_]+", check.reason), check
        assert check.score.startswith(f"{family.scores}."), check
        no_stopwords = not stopword_list(lang, None) and cfg.gopher.stop_words is None
        if check.score.startswith(f"{gopher.SCORES}.stopword") and no_stopwords:
            assert check.score not in written  # the language has no list: the rule is skipped
        else:
            assert check.score in written, check
    assert len({c.reason for c in resolved}) == len(resolved)  # one rule per reason


def test_reasons_are_unique_across_the_chain() -> None:
    reasons = [c.reason for c in checks(QualityConfig())]
    assert len(reasons) == len(set(reasons))


def test_rules_resolve_against_the_config() -> None:
    cfg = gopher_repetition.GopherRepetitionConfig.model_validate(
        {"dup_line_frac": None, "top_n_grams": {"3": 0.5, 2: 0.1}}
    )
    resolved = gopher_repetition.FAMILY.checks(cfg)
    assert resolved[2] == Check(
        "quality.gopher_repetition.dup_line_frac",
        "quality.gopher_repetition_v1.dup_line_frac",
        None,
        ABOVE,
        "dup_line_frac",
    )
    tops = [c for c in resolved if ".top_" in c.reason]
    assert [(c.reason, c.score, c.limit, c.what) for c in tops] == [
        (
            "quality.gopher_repetition.top_2_gram",
            "quality.gopher_repetition_v1.top_2_gram_char_frac",
            0.1,
            "top 2-gram char fraction",
        ),
        (
            "quality.gopher_repetition.top_3_gram",
            "quality.gopher_repetition_v1.top_3_gram_char_frac",
            0.5,
            "top 3-gram char fraction",
        ),
    ]
    fw = fineweb.FineWebConfig.model_validate(
        {"short_line_chars": 12, "line_punct_exclude_zero": True}
    )
    by_reason = {c.reason: c for c in fineweb.FAMILY.checks(fw)}
    assert by_reason["quality.fineweb.short_line_ratio"].what == "lines of <= 12 chars ratio"
    assert by_reason["quality.fineweb.line_punct_ratio"].skip_zero
    assert not by_reason["quality.fineweb.char_dup_ratio"].skip_zero
    off = c4.C4Config.model_validate({"lorem_ipsum": False})
    assert {c.reason: c.limit for c in c4.FAMILY.checks(off)}["quality.c4.lorem_ipsum"] is None
    assert ABOVE.fails(2, 1)
    assert not ABOVE.fails(1, 1)
    assert BELOW.fails(0, 1)
    assert not BELOW.fails(1, 1)
    assert [d.value for d in Direction] == [">", "<"]


def test_a_rule_added_to_a_family_is_applied_in_its_place() -> None:
    """What adding a rule takes: one entry in the family's RULES (here a copy of the family)."""
    extra: Rule[gopher.GopherConfig] = Rule(
        "quality.gopher.few_bullets",
        f"{gopher.SCORES}.bullet_lines_ratio",
        lambda c: 0.5,
        BELOW,
        "bullet lines ratio",
    )
    family = Family(
        name="gopher",
        scores=gopher.SCORES,
        config=gopher.GopherConfig,
        measure=gopher.measure,
        rules=(*gopher.RULES, extra),
    )
    resolved = family.checks(gopher.GopherConfig())
    assert resolved[-1].reason == "quality.gopher.few_bullets"
    assert resolved[:-1] == gopher.FAMILY.checks(gopher.GopherConfig())
    scores = measure(PAGE, "en", QualityConfig().for_language("en"))
    cfg = QualityConfig().for_language("en")
    assert decide(scores, cfg, "en") is None
    assert decide(scores, cfg, "en", [*checks(cfg), *resolved[-1:]]) == (
        "quality.gopher.few_bullets",
        "bullet lines ratio 0 < 0.5 (en)",
    )


def test_builtin_languages_are_gathered_from_the_families() -> None:
    assert list(BUILTIN_LANGUAGES) == ["en", "ko", "zh", "ja", "th", "lo", "km", "my"]
    for lang, sections in BUILTIN_LANGUAGES.items():
        assert list(sections) == [n for n in CHAIN if n in sections]  # chain order
        for name, over in sections.items():
            assert MODULES[name].LANGUAGES[lang] == over
    for name, module in MODULES.items():
        for lang, over in module.LANGUAGES.items():
            assert BUILTIN_LANGUAGES[lang][name] == over
            # Every override is a valid change of the family's section.
            section = getattr(QualityConfig().for_language(lang), name)
            assert isinstance(section, module.FAMILY.config)


def test_c4_edit_removes_lines_only_when_its_line_rules_are_on() -> None:
    text = PAGE + "\nBreaking news"
    for data, removed in (({}, ["Breaking news"]), ({"c4": {"lines": {"enabled": False}}}, [])):
        cfg = QualityConfig.model_validate({"gopher_repetition": {"enabled": False}, **data})
        doc = Document(id="d", text=text, lang="en")
        QualityFilters(cfg).process(QualitySignals(cfg).process(doc))
        assert doc.rejection is None, doc.rejection
        assert [ln.text for ln in doc.removed_lines()] == removed


def test_old_import_paths_still_work() -> None:
    from gharbal.quality import signals
    from gharbal.quality.config import (
        GOPHER_EN_STOPWORDS,
        C4Config,
        C4LinesConfig,
        FineWebConfig,
        GopherConfig,
        GopherRepetitionConfig,
    )
    from gharbal.quality.signals import (
        C4,
        FINEWEB,
        GOPHER,
        GOPHER_REP,
        C4Lines,
        c4_lines,
        find_duplicates,
        stopword_list,
    )

    assert tuple(f.scores for f in FAMILIES) == (GOPHER_REP, GOPHER, C4, FINEWEB)
    assert (GopherRepetitionConfig, GopherConfig, C4Config, FineWebConfig) == tuple(
        f.config for f in FAMILIES
    )
    assert C4LinesConfig is c4.C4LinesConfig
    assert GOPHER_EN_STOPWORDS == gopher.GOPHER_EN_STOPWORDS
    assert C4Lines is c4.C4Lines
    assert c4_lines is c4.c4_lines
    assert find_duplicates(["a", "b", "a"]) == (1, 1)
    assert stopword_list is gopher.stopword_list
    a = Analysis.of(PAGE + "\nBreaking news")
    cfg = QualityConfig()
    assert signals.gopher_repetition(a, cfg.gopher_repetition) == gopher_repetition.measure(
        a, None, cfg.gopher_repetition
    )
    assert signals.gopher_quality(a, "en", cfg.gopher) == gopher.measure(a, "en", cfg.gopher)
    lines = c4_lines(a, "en", cfg.c4)
    kept = signals.fineweb(a, lines, cfg.fineweb)
    full = measure(PAGE + "\nBreaking news", "en", cfg)
    assert kept == {k: v for k, v in full.items() if k.startswith(f"{FINEWEB}.")}
    assert kept["quality.fineweb_v1.lines"] == 6
    assert signals.fineweb(a, None, cfg.fineweb)["quality.fineweb_v1.lines"] == 7
    assert a.line_reasons is None  # the wrapper leaves the analysis alone
