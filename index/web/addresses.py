"""Where a fetch may connect: public addresses, and the private hosts or blocks the operator allowed
(NEWSBOT_ALLOW_PRIVATE_HOSTS). Pure: the transport (index/web/transport.py) asks it about each
address it is about to connect to."""

import ipaddress
import re
from dataclasses import dataclass

from index.errors import NewsbotError

ALLOW_SETTING = "NEWSBOT_ALLOW_PRIVATE_HOSTS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


class PrivateAddress(NewsbotError, RuntimeError):
    """A connection refused: the address it would reach is not public and not allowed."""


def kind_of(address: IPAddress) -> str:
    """What makes `address` not public ("" when it is public), in the words a refusal uses."""
    for test, kind in (
        ("is_unspecified", "an unspecified"),
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_private", "a private"),
        ("is_reserved", "a reserved"),
    ):
        if getattr(address, test):
            return kind
    return "" if address.is_global else "a non-public"


def plain(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:10.0.0.5) as the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class AddressPolicy:
    """Private hosts (by name) and blocks (by address) the operator allowed; everything public is."""

    hosts: frozenset[str] = frozenset()
    blocks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, value: str) -> "AddressPolicy":
        """From a comma-separated list of host names, addresses and CIDR blocks; ValueError names a bad item."""
        hosts, blocks = set(), []
        for item in filter(None, (part.strip().lower() for part in value.split(","))):
            try:
                blocks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if not HOST_NAME.fullmatch(item):
                raise ValueError(f"must be host names, addresses or CIDR blocks separated by commas, not {item!r}")
            hosts.add(item.rstrip("."))
        return cls(frozenset(hosts), tuple(blocks))

    def refusal(self, host: str, address: str) -> str:
        """Why connecting to `address` (which `host` resolved to) is refused; "" when it is allowed."""
        reached = plain(ipaddress.ip_address(address.split("%")[0]))
        kind = kind_of(reached)
        if (
            not kind
            or host.lower().rstrip(".").strip("[]") in self.hosts
            or any(reached in block for block in self.blocks)
        ):
            return ""
        return f"it resolves to {reached}, {kind} address ({ALLOW_SETTING})"
