"""Personal data: detection (`find_pii`) and redaction (`PiiRedact`)."""

from gharbal.pii.config import PiiConfig
from gharbal.pii.detect import Span, find_pii
from gharbal.pii.redact import PiiRedact, redact

__all__ = ["PiiConfig", "PiiRedact", "Span", "find_pii", "redact"]
