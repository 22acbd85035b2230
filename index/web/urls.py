"""URL identity: one article under two addresses (tracking parameters, a fragment, a canonical
link) is indexed once."""

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only say where a reader came from.
TRACKING = (
    "utm_",
    "fbclid",
    "gclid",
    "dclid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "ocid",
    "cmpid",
    "at_medium",
    "at_campaign",
    "ref_src",
)


def is_web(source: str) -> bool:
    """Whether `source` is an http(s) address with a host: the only kind newsbot fetches or connects to."""
    parts = urlsplit(str(source))
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def canonical_url(url: str, base: str = "") -> str:
    """`url` (resolved against `base`) with its host lower-cased, default port, fragment and tracking
    parameters dropped; "" if it is not http(s)."""
    parts = urlsplit(urljoin(base, url.strip()))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if parts.port and parts.port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{parts.port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(TRACKING)
    ]
    return urlunsplit((parts.scheme, host, parts.path or "/", urlencode(query), ""))


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()
