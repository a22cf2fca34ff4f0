"""The web app's guards: request size limits, the Host check, security headers, upload names and access.

Article text is untrusted and so is every request. Templates autoescape; on top of
that the Content-Security-Policy allows nothing but this server's own stylesheet and
script, so even a missed escape could not run or load anything.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import unicodedata
from typing import Any, Awaitable, Callable, MutableMapping, Optional

# MutableMapping, as Starlette declares them, so a FastAPI app is an ASGIApp to the type checker.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def safe_upload_name(name: str) -> Optional[str]:
    """A plain file name for an upload (no folders, no leading dot), or None when nothing usable is left."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = _SAFE_NAME.sub("_", base).lstrip("._-")[:120]
    return base or None


def same_secret(given: Optional[str], expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class RequestTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: bounded request bodies, a Host header check, and security headers on every response."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload_body: int, upload_path: str,
                 allowed_hosts: Optional[set[str]]) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload_body = max_upload_body
        self.upload_path = upload_path
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.lower(): value for key, value in scope.get("headers", [])}
        if self.allowed_hosts is not None:
            # Bound to loopback: a page elsewhere must not reach us through DNS rebinding.
            host = headers.get(b"host", b"").decode("latin-1").lower()
            hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if hostname.strip("[]") not in self.allowed_hosts:
                await _plain(send, 400, "unexpected Host header")
                return
        limit = self.max_upload_body if scope["path"] == self.upload_path else self.max_body
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _plain(send, 413, f"request body larger than {limit} bytes")
            return
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge
            return message

        async def secured_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, bounded_receive, secured_send)
        except RequestTooLarge:
            if not started:
                await _plain(send, 413, f"request body larger than {limit} bytes")


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
