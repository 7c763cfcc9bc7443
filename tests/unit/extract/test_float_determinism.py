"""Features whose bits do not depend on the machine.

A float32 ``np.log1p`` one unit off from C's ``log1pf`` once broke the suite on a new machine: numpy's
transcendental kernels (and the C library's float ones) differ by version and CPU. Every logarithm
and exponential of the feature matrices is therefore the C library's double-precision function
rounded once to float32 (correctly rounded on every machine), the same in the C scanner and the
numpy path; numpy's own kernels are not used at all.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pytest

from gharbal.extract.features import LOG_TABLE, log1p32, measure_page
from gharbal.extract.model import load_model, sigmoid32, stage2_features
from gharbal.step import split_lines

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "000_60c1ad3fcf2e89f8.txt"


def _exact_log1p32(k: int) -> np.float32:
    getcontext().prec = 50
    return np.float32(float((Decimal(k) + 1).ln()))


def test_log1p32_is_correctly_rounded() -> None:
    # The table and the values past it are the float32 nearest the exact logarithm, whatever the
    # machine (glibc's log1pf gives 1.9459102 for log(7), one unit above the nearest 1.9459101).
    ks = [*range(LOG_TABLE), LOG_TABLE, LOG_TABLE + 1, 10**5, 2**24 + 1, 10**12]
    got = log1p32(np.array(ks, dtype=np.int64))
    want = np.array([_exact_log1p32(k) for k in ks], dtype=np.float32)
    assert got.tobytes() == want.tobytes(), [
        (k, g, w) for k, g, w in zip(ks, got, want, strict=True) if g != w
    ][:5]
    assert log1p32(np.array([6]))[0] == np.float32(1.9459101)


def test_log1p32_of_fractions_and_edges() -> None:
    values = np.array([0.5, 2.25, 4095.5, 0.0, -1.0], dtype=np.float64)
    got = log1p32(values)
    assert got[:4].tolist() == [np.float32(math.log1p(v)) for v in values[:4]]
    assert got[4] == -np.inf


def test_sigmoid32_matches_math_exp_and_saturates() -> None:
    s = np.array([-800.0, -3.5, 0.0, 0.25, 3.5, 800.0], dtype=np.float32)
    got = sigmoid32(s)
    assert got.tolist() == [np.float32(1.0 / (1.0 + math.exp(-float(v)))) if v > -700 else 0.0
                            for v in s]  # fmt: skip


def test_no_numpy_transcendental_in_the_features(monkeypatch: pytest.MonkeyPatch) -> None:
    # The numpy path must not call numpy's log1p/expm1/exp/log (their bits vary by machine).
    def banned(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("numpy transcendental kernel used")

    for name in ("log1p", "expm1", "exp", "log"):
        monkeypatch.setattr(np, name, banned)
    lines = split_lines(SEED.read_text(encoding="utf-8"))
    feats = measure_page(lines, load_model().lexicon, native=False)
    assert feats.matrix.shape[0] == len(lines)
    stage2_features(np.linspace(-4, 4, len(lines)))
