"""Origins of an organisation's official sites, which may frame the widgets.

Each becomes a host source of the widget's ``Content-Security-Policy: frame-ancestors``, so it
is parsed, not merely matched: ``https://host[:port]`` with a DNS name (an internationalised
one is turned into its ``xn--`` form, the only one CSP knows), an IPv4 address or a bracketed
IPv6 one. Plain ``http`` is allowed only for a loopback host, a developer's test page. No path,
query, fragment, user, wildcard, quote, ``;``, ``,`` or whitespace: any of them could end the
directive and start another.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ("OriginError", "parse_origin")

# \Z, not $: "$" also matches before a final newline, which would end the header line.
_SHAPE = re.compile(
    r"\A(?P<scheme>[a-z]+)://"
    r"(?P<host>\[[0-9a-f:.]+\]|[^\[\]:/?#@\s]+)"
    r"(?::(?P<port>[0-9]{1,5}))?\Z",
    re.ASCII,
)
_LABEL = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", re.ASCII)
_LOOPBACK_NAMES = frozenset({"localhost"})


class OriginError(ValueError):
    """An origin refused, with what to give instead."""


def _host(raw: str) -> str:
    if raw.startswith("["):
        try:
            address = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise OriginError("the IPv6 address in brackets is not valid") from None
        return f"[{address.compressed}]"
    try:
        host = raw if raw.isascii() else raw.encode("idna").decode("ascii")
    except UnicodeError:
        raise OriginError("the host is not a valid domain name") from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise OriginError(
            "the host must be a domain name (letters, digits and inner hyphens, labels of at "
            "most 63 characters) or an IP address; no wildcards"
        )
    return host


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_origin(text: str) -> str:
    """``text`` as a canonical origin (scheme and host in lower case), or OriginError."""
    shape = _SHAPE.match(text.lower())
    if shape is None:
        raise OriginError(
            "give scheme://host[:port] only: no path, query, fragment, user, wildcard, "
            "quote, semicolon, comma or spaces"
        )
    scheme, host = shape["scheme"], _host(shape["host"])
    if scheme != "https" and not (scheme == "http" and _loopback(host)):
        raise OriginError("use https (plain http only for localhost)")
    port = shape["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise OriginError("the port must be from 1 to 65535")
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")
