"""Polite HTTP: robots.txt, a per-host rate limit, a concurrency cap, conditional GET, bounded everything.

One :class:`Fetcher` serves a whole run. Every request it makes:

1. is refused unless the URL is http(s) and robots.txt (read once per host and run) allows it;
2. waits its turn: one request at a time per host, at least ``per_host_interval`` seconds apart
   (or the robots.txt Crawl-delay when larger), and at most ``concurrency`` requests at once;
3. carries a descriptive User-Agent, and If-None-Match / If-Modified-Since when the caller
   knows the validators, so an unchanged feed costs a 304 and no body;
4. follows redirects itself, at most ``max_redirects`` and never in a loop, re-checking robots.txt
   and the rate limit at each hop;
5. reads at most ``max_bytes`` of body and gives up past that;
6. retries timeouts, connection errors, 429 and 5xx with exponential backoff, then fails with
   a :class:`FetchError` whose reason is one line a user can act on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

try:
    from importlib.metadata import version as _version

    _VERSION = _version("storyline")
except Exception:  # noqa: BLE001 - running from a source tree that was never installed
    _VERSION = "dev"

USER_AGENT = f"storyline/{_VERSION} (news follower; fetches only the feeds and pages its user lists)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


class FetchError(Exception):
    """A request that failed; ``permanent`` when asking again later will not help (robots, 404, too large)."""

    def __init__(self, reason: str, *, permanent: bool, status: Optional[int] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = USER_AGENT
    timeout: float = 20.0
    retries: int = 2
    backoff: float = 2.0  # seconds before the first retry, doubled for each next one
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    per_host_interval: float = 1.0
    concurrency: int = 4
    respect_robots: bool = True

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_bytes <= 0 or self.concurrency < 1 or self.retries < 0:
            raise ValueError("timeout, max_bytes and concurrency must be positive and retries not negative")
        if self.per_host_interval < 0 or self.backoff < 0 or self.max_redirects < 0:
            raise ValueError("per_host_interval, backoff and max_redirects cannot be negative")


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    body: bytes
    content_type: str = ""
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    location: Optional[str] = None  # of a redirect
    retry_after: Optional[str] = None  # of a 429 or 503

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_request: Optional[float] = None
    robots: Optional[RobotFileParser] = None
    robots_error: Optional[str] = None


class Fetcher:
    """Fetches for one run; thread-safe. ``clock`` and ``sleep`` are injectable so pacing is testable."""

    def __init__(self, settings: FetchSettings = FetchSettings(), *, client: Optional[httpx.Client] = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(settings.timeout), follow_redirects=False, trust_env=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.concurrency)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, etag: Optional[str] = None, last_modified: Optional[str] = None) -> Fetched:
        """The response to a GET of ``url`` (a 304 when the validators still hold), or a FetchError."""
        seen = [url]
        current = url
        for _ in range(self.settings.max_redirects + 1):
            self._check_allowed(current)
            response = self._with_retries(current, etag, last_modified)
            if response.status in (301, 302, 303, 307, 308):
                target = response.location
                if not target:
                    raise FetchError(f"redirect ({response.status}) without a Location", permanent=True,
                                     status=response.status)
                current = urljoin(current, target)
                if current in seen:
                    raise FetchError(f"redirect loop ({' -> '.join(seen + [current])})", permanent=True,
                                     status=response.status)
                seen.append(current)
                continue
            return Fetched(current, response.status, response.body, response.content_type, response.etag,
                           response.last_modified)
        raise FetchError(f"more than {self.settings.max_redirects} redirects", permanent=True)

    # --- robots.txt ------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this User-Agent fetch ``url`` (fetching robots.txt once per host)."""
        try:
            self._check_allowed(url)
        except FetchError as error:
            if error.permanent:
                return False
            raise
        return True

    def _check_allowed(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError("only http and https addresses can be fetched", permanent=True)
        if not self.settings.respect_robots:
            return
        host = self._host(url)
        with host.lock:
            if host.robots is None and host.robots_error is None:
                self._load_robots(url, host)
        if host.robots_error is not None:
            raise FetchError(host.robots_error, permanent=False)
        assert host.robots is not None
        if not host.robots.can_fetch(self.settings.user_agent, url):
            raise FetchError("disallowed by robots.txt", permanent=True)

    def _load_robots(self, url: str, host: _Host) -> None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            response = self._with_retries(robots_url, None, None, hold_host_lock=False, host=host)
        except FetchError as error:
            if error.status is not None and 400 <= error.status < 500:
                parser.parse([])  # no robots.txt: everything is allowed
                host.robots = parser
            else:
                # RFC 9309: an unreachable robots.txt means "assume nothing is allowed" for now.
                host.robots_error = f"robots.txt unreachable ({error.reason})"
            return
        if 400 <= response.status < 500 or response.status in (301, 302, 303, 307, 308):
            parser.parse([])  # no robots.txt: everything is allowed
        else:
            parser.parse(response.body.decode("utf-8", "replace").splitlines())
        host.robots = parser

    # --- pacing, retries, one request ------------------------------------------------------

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        with self._hosts_lock:
            return self._hosts.setdefault(key, _Host())

    def _interval(self, host: _Host) -> float:
        delay = host.robots.crawl_delay(self.settings.user_agent) if host.robots is not None else None
        return max(self.settings.per_host_interval, float(delay or 0))

    def _with_retries(self, url: str, etag: Optional[str], last_modified: Optional[str], *,
                      hold_host_lock: bool = True, host: Optional[_Host] = None) -> Fetched:
        host = host or self._host(url)
        attempt = 0
        while True:
            try:
                if hold_host_lock:
                    with host.lock:
                        response = self._paced(url, host, etag, last_modified)
                else:
                    response = self._paced(url, host, etag, last_modified)
            except FetchError as error:
                if error.permanent or attempt >= self.settings.retries:
                    raise
                wait = self.settings.backoff * (2 ** attempt)
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                if attempt >= self.settings.retries:
                    raise FetchError(f"HTTP {response.status} after {attempt + 1} attempts",
                                     permanent=False, status=response.status)
                wait = self.settings.backoff * (2 ** attempt)
                retry_after = response.retry_after
                if retry_after and retry_after.isdigit():
                    wait = max(wait, min(float(retry_after), MAX_RETRY_AFTER))
            attempt += 1
            self.sleep(wait)

    def _paced(self, url: str, host: _Host, etag: Optional[str], last_modified: Optional[str]) -> Fetched:
        """One request, after waiting for this host's turn; the caller holds the host's lock."""
        if host.last_request is not None:
            wait = host.last_request + self._interval(host) - self.clock()
            if wait > 0:
                self.sleep(wait)
        with self._slots:
            try:
                return self._request(url, etag, last_modified)
            finally:
                host.last_request = self.clock()

    def _request(self, url: str, etag: Optional[str], last_modified: Optional[str]) -> Fetched:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limit = self.settings.max_bytes
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in (301, 302, 303, 307, 308):
                    return Fetched(url, status, b"", location=response.headers.get("location", ""))
                if status == 429 or status >= 500:
                    return Fetched(url, status, b"", retry_after=response.headers.get("retry-after"))
                if status == 304:
                    return Fetched(url, 304, b"", "", response.headers.get("etag") or etag,
                                   response.headers.get("last-modified") or last_modified)
                if status >= 400:
                    raise FetchError(f"HTTP {status}", permanent=status in (400, 401, 403, 404, 410, 451),
                                     status=status)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(f"response too large ({int(declared):,} bytes; the limit is {limit:,})",
                                     permanent=True, status=status)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"response too large (over {limit:,} bytes)", permanent=True,
                                         status=status)
                    chunks.append(chunk)
                return Fetched(url, status, b"".join(chunks), response.headers.get("content-type", ""),
                               response.headers.get("etag"), response.headers.get("last-modified"))
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.settings.timeout:g}s", permanent=False) from None
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects", permanent=True) from None
        except httpx.HTTPError as error:
            raise FetchError(f"connection failed: {type(error).__name__}: {error}", permanent=False) from None
