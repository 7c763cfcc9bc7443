import gharbal

EXPECTED = {
    "ConfigError", "Document", "DocumentStep", "Extract", "GharbalError", "InvariantError", "Line",
    "Recipe", "Rejection", "RetryableError", "RunContext", "Shard", "ShardError", "StageError",
    "Stats", "Step",
    "Verdict", "__version__", "build_steps", "detect_format", "extract_file", "extract_page",
    "plan_shards", "process_shard", "read_shard", "run",
    "LocalExecutor", "RayExecutor",
    "UnknownDocumentError", "build_report", "explain", "format_explanation",
    # issue 5: language ID, quality signals/filters, PII, the normalisation contract
    "LanguageId", "PiiRedact", "QualityFilters", "QualitySignals", "normalise",
}  # fmt: skip


def test_public_api_is_pinned() -> None:
    """Changing the public surface must be deliberate: update this list and the docs together."""
    assert set(gharbal.__all__) == EXPECTED
    for name in gharbal.__all__:
        assert hasattr(gharbal, name), name


def test_error_tree() -> None:
    for cls in (
        gharbal.ConfigError,
        gharbal.ShardError,
        gharbal.StageError,
        gharbal.RetryableError,
    ):
        assert issubclass(cls, gharbal.GharbalError)
    assert issubclass(gharbal.InvariantError, gharbal.GharbalError)
