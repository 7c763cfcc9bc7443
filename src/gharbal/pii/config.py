"""The recipe's ``pii`` section."""

from __future__ import annotations

from pydantic import Field

from gharbal.config import ConfigModel


class PiiConfig(ConfigModel):
    """The ``pii`` recipe section."""

    enabled: bool = True
    emails: bool = True
    phones: bool = True
    ips: bool = True
    tokens: dict[str, str] = Field(
        default={"email": "<EMAIL>", "phone": "<PHONE>", "ip": "<IP_ADDRESS>"},
        description="replacement token per kind",
    )

    def kinds(self) -> tuple[str, ...]:
        flags = (("email", self.emails), ("phone", self.phones), ("ip", self.ips))
        return tuple(kind for kind, on in flags if on)
