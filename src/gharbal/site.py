"""The site of a page (DESIGN.md section 4), one definition for the whole package: its ``site``
field if given, else the registered domain of its url (``news.example.co.uk`` -> ``example.co.uk``,
``someone.blogspot.com`` stays whole), from the Public Suffix List snapshot that ships inside the
``publicsuffixlist`` wheel (never fetched at run time). The site statistics stage groups pages by it
(`gharbal.extract.sitestats`) and the report counts them by it (`gharbal.report`)."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import regex
from publicsuffixlist import PublicSuffixList

NO_SITE = "(no site)"
"""What the report shows for pages without a site."""

_HOST = regex.compile(
    r"[\p{L}\p{N}](?:[\p{L}\p{N}_-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}_-]*[\p{L}\p{N}])?)*"
)


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@functools.lru_cache(maxsize=65536)
def registered_domain(host: str) -> str | None:
    """``host`` reduced to its registered domain; IP addresses and bare suffixes stay as they are;
    None for what is not a host name."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host.strip("[]")
    if not _HOST.fullmatch(host):
        return None
    domain = _psl().privatesuffix(host)
    return domain if isinstance(domain, str) else host


def site_of(url: object, metadata: object = None) -> str | None:
    """The site of a page: ``metadata["site"]`` when it is a non-empty string (lowercased), else the
    registered domain of ``url`` (a URL, or a host and path without a scheme), else None."""
    if isinstance(metadata, dict):
        site: Any = metadata.get("site")
        if isinstance(site, str) and site.strip():
            return site.strip().lower()
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    return registered_domain(host) if host else None
