"""The fetcher's connections: each host name resolved once, every address it gave checked against
the AddressPolicy, and the connection made to the checked address itself, so a name that resolves
to another address the second time (DNS rebinding) can't reach past the check. Every read, write
and connect is also held to the deadline of the response under way (`deadline`), so a server that
drips one byte at a time is stopped when the whole response is due, not after each read."""

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from index.web.addresses import AddressPolicy, PrivateAddress

_response = threading.local()  # the deadline (time.monotonic()) of the response this thread is fetching


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Connect, headers and body of the response fetched in this block, all within `seconds`."""
    _response.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _response.deadline = None


def _left(timeout: float | None, late: type[Exception]) -> float | None:
    due = getattr(_response, "deadline", None)
    if due is None:
        return timeout
    left = due - time.monotonic()
    if left <= 0:
        raise late("the response's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DueStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DueStream(self._stream.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _CheckedBackend(httpcore.SyncBackend):
    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.NetworkStream:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise httpcore.ConnectError(f"{host} could not be resolved ({error.strerror})") from None
        addresses = list(dict.fromkeys(info[4][0] for info in found))
        refusals = [self.policy.refusal(host, address) for address in addresses]
        allowed = [address for address, refusal in zip(addresses, refusals) if not refusal]
        if not allowed:
            raise PrivateAddress(refusals[0])
        last: Exception | None = None
        for address in allowed:
            try:
                stream = super().connect_tcp(
                    address, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
                return _DueStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last  # type: ignore[misc]


def checked_transport(policy: AddressPolicy) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through the policy and the response deadline.
    No proxy is taken from the environment: a proxy would resolve the names itself, unchecked."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool._network_backend = _CheckedBackend(policy)  # httpx takes no backend of its own choosing
    return transport
