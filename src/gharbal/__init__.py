"""gharbal: a web-text refinery, Arabic first.

The public API is what ``__all__`` lists (a test pins it); everything else may change.
"""

from gharbal.document import Document, Line, Rejection, Verdict
from gharbal.errors import ConfigError, GharbalError, RetryableError, ShardError, StageError
from gharbal.executors.local import LocalExecutor
from gharbal.executors.ray import RayExecutor
from gharbal.extract import Extract, extract_page
from gharbal.identify.language import LanguageId
from gharbal.normalise import normalise
from gharbal.pii import PiiRedact
from gharbal.quality import QualityFilters, QualitySignals
from gharbal.readers import Shard, detect_format, plan_shards, read_shard
from gharbal.recipe import Recipe
from gharbal.report import UnknownDocumentError, build_report, explain, format_explanation
from gharbal.runner.extract import extract_file
from gharbal.runner.phases import process_shard
from gharbal.runner.pipeline import run
from gharbal.runner.steps import build_steps
from gharbal.stats import InvariantError, Stats
from gharbal.step import DocumentStep, RunContext, Step
from gharbal.version import __version__

__all__ = [
    "ConfigError",
    "Document",
    "DocumentStep",
    "Extract",
    "GharbalError",
    "InvariantError",
    "LanguageId",
    "Line",
    "LocalExecutor",
    "PiiRedact",
    "QualityFilters",
    "QualitySignals",
    "RayExecutor",
    "Recipe",
    "Rejection",
    "RetryableError",
    "RunContext",
    "Shard",
    "ShardError",
    "StageError",
    "Stats",
    "Step",
    "UnknownDocumentError",
    "Verdict",
    "__version__",
    "build_report",
    "build_steps",
    "detect_format",
    "explain",
    "extract_file",
    "extract_page",
    "format_explanation",
    "normalise",
    "plan_shards",
    "process_shard",
    "read_shard",
    "run",
]
