"""Whether an address is one a server of ours may call on a merchant's or platform's behalf.

Merchant-supplied URLs (a WooCommerce site, a product photo) must not reach our own
network (RELIABILITY S9): only globally routable unicast addresses pass, and IPv6 forms
that carry an IPv4 address inside (mapped, 6to4, Teredo, NAT64) are judged by that address.
"""

from __future__ import annotations

import ipaddress

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only; IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        embedded = [address.sixtofour, address.teredo[1] if address.teredo else None]
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(inner is not None and not is_public_address(inner) for inner in embedded):
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_link_local)
