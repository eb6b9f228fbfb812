"""Outbound URL checks: refuse private, loopback, link-local and other internal targets.

Names are resolved here and every address they resolve to is checked, so a public-looking
name that points inside (or a literal like 0x7f.1 / [::1]) is refused unless an admin allowed
private targets (``FLOWAI_ALLOW_PRIVATE_URLS``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from flowai.errors import InputError


def _internal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        # an IPv4 address carried inside IPv6 (::ffff:a.b.c.d, 6to4 2002::/16, Teredo) is judged as that IPv4 address
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return _internal(embedded) or ip.is_private
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")
    )


async def check_public_url(url: str, *, allow_private: bool = False, what: str = "URL") -> str | None:
    """Raise InputError unless ``url`` is http(s) and (unless allowed) resolves only to public addresses.

    Returns the first address checked (None when private targets are allowed): connecting to it,
    rather than resolving the name again, closes the DNS-rebinding gap (``flowai.net.web``)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise InputError(f"The {what} is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InputError(f"The {what} must be an http:// or https:// URL.")
    if allow_private:
        return None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except socket.gaierror:
        raise InputError(f"The {what}'s host {host!r} does not resolve.") from None
    checked = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _internal(ip):
            raise InputError(
                f"The {what} points to a private or internal address ({ip}); "
                f"an admin can allow that with FLOWAI_ALLOW_PRIVATE_URLS=1."
            )
        checked.append(str(ip))
    return checked[0] if checked else None


def private_address(url: str) -> str | None:
    """The first private or internal address ``url``'s host resolves to, else None (blocking: for a
    setting being saved, not a request being served). An unresolvable host is not private."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _internal(ip):
            return str(ip)
    return None
