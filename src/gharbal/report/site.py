"""The site of a page (DESIGN.md section 4): its ``site`` field if given, else the registered domain of
its url (``news.example.co.uk`` -> ``example.co.uk``), from the Public Suffix List snapshot that ships
inside the ``publicsuffixlist`` wheel (never fetched at run time)."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

NO_SITE = "(no site)"


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@functools.lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """``host`` reduced to its registered domain; IP addresses and bare suffixes stay as they are."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return NO_SITE
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host
    domain = _psl().privatesuffix(host)
    return domain if isinstance(domain, str) else host


def site_of(url: object, metadata: object = None) -> str:
    """The site of a page: ``metadata["site"]`` when it is a non-empty string, else the registered
    domain of ``url``, else ``NO_SITE``."""
    if isinstance(metadata, dict):
        site: Any = metadata.get("site")
        if isinstance(site, str) and site.strip():
            return site.strip()
    if not isinstance(url, str) or not url:
        return NO_SITE
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return NO_SITE
    return registered_domain(host) if host else NO_SITE
