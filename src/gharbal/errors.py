"""The error tree, sorted by what the caller does next.

::

    GharbalError                 base of everything gharbal raises on purpose
    ├── ConfigError              bad recipe, flag or path: abort before any worker starts
    ├── ShardError               this shard cannot go on: the run stops naming it (exit 4);
    │                            finished shards are kept for ``--resume``
    ├── StageError               a cross-document stage's finalize failed, or the run's own
    │                            files (recipe.yaml, stats.json, report.html) cannot be
    │                            written: the run stops (exit 4); ``--resume`` does it again
    └── RetryableError           transient (I/O hiccup, lost worker): the executor retries

Bad *documents* are not errors. A record that cannot be parsed, a page that is empty after cleaning, a
line that is boilerplate: each is a rejection, a value with a reason (see :mod:`gharbal.document`),
written to the ledger and counted in ``stats.json``.
"""

from __future__ import annotations


class GharbalError(Exception):
    """Base class of every error gharbal raises on purpose."""


class ConfigError(GharbalError):
    """The recipe, a flag or an input path is wrong; nothing has run yet."""


class ShardError(GharbalError):
    """One shard cannot be processed (not a document's failure: I/O, a bug outside the steps).

    Raised by `gharbal.runner.phases.process_shard` with the original exception as its cause. The run
    stops: the shard's documents could not all be accounted for, so finishing would lose them
    silently. Shards that finished keep their markers, and ``--resume`` redoes only the rest."""


class StageError(GharbalError):
    """A cross-document stage (site statistics, dedup) failed in its ``finalize`` (I/O, a bug), or
    a step of the run outside any shard failed: writing ``recipe.yaml``, ``plan.json``,
    ``stats.json`` or ``report.html`` (a full disk), uploading to an output URL.

    Raised by the pipeline with the original exception as its cause. The shards finished before it
    keep their markers; ``--resume`` does that step again and goes on."""


class RetryableError(GharbalError):
    """A transient failure; the executor may retry the unit of work."""
