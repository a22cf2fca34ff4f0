"""Where alerts go: a JSON Lines file, a webhook, or e-mail through an SMTP server the user names.

A sink is written as one string, so a watch stores it as given and the CLI takes it as one option:

- ``file:alerts.jsonl`` (or any path ending in ``.jsonl``): one JSON object per line, appended
- ``https://example.org/hook``: an HTTP POST of the alert as JSON
- ``smtp://mail.example.org:25?from=bot@example.org&to=me@example.org``: one e-mail per alert
  (add ``&starttls=1`` for STARTTLS; a login is read from $STORYLINE_SMTP_USER and
  $STORYLINE_SMTP_PASSWORD, never stored)

A watch with ``digest`` sends all its alerts of one run to each sink as one message. A delivery
that fails is kept and tried again on the next run (up to five times), with its error in the store.
"""

from __future__ import annotations

import json
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Optional, Sequence
from urllib.parse import parse_qs, urlsplit

import httpx

from ..store import Store
from . import state
from .fetcher import USER_AGENT

DELIVERY_TIMEOUT = 10.0


class SinkError(ValueError):
    """A sink string that names no sink storyline knows."""


@dataclass(frozen=True)
class Sink:
    kind: str  # "file", "webhook" or "smtp"
    target: str  # the path, the URL, or host:port
    options: dict[str, list[str]]


def parse_sink(spec: str) -> Sink:
    text = spec.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return Sink("webhook", text, {})
    if parts.scheme == "smtp":
        options = parse_qs(parts.query)
        if not parts.hostname or not options.get("to"):
            raise SinkError(f"{spec}: an smtp sink needs a host and at least one to= address "
                            "(smtp://host:25?from=me@example.org&to=you@example.org)")
        return Sink("smtp", f"{parts.hostname}:{parts.port or 25}", options)
    if parts.scheme == "file" or text.endswith(".jsonl"):
        path = text[len("file:"):] if text.startswith("file:") else text
        if not path:
            raise SinkError(f"{spec}: a file sink needs a path (file:alerts.jsonl)")
        return Sink("file", path, {})
    raise SinkError(f"{spec}: not a sink; use file:PATH.jsonl, an http(s) URL, or smtp://host:port?to=ADDRESS")


def deliver_pending(store: Store, *, log: Callable[[str], None] = lambda line: None,
                    client: Optional[httpx.Client] = None) -> tuple[int, int]:
    """Send every alert still to send: (messages sent, messages failed). Never raises for a bad sink."""
    digest_watches = {watch.id for watch in state.watches(store) if watch.digest}
    messages: dict[tuple[str, str], list[state.Alert]] = {}
    for sink, alert in state.undelivered(store):
        # Digest alerts of one watch share a message; the others go one per message.
        key = (sink, f"digest:{alert.watch_id}" if alert.watch_id in digest_watches else alert.id)
        messages.setdefault(key, []).append(alert)
    sent = failed = 0
    own_client = client is None
    http = client or httpx.Client(timeout=DELIVERY_TIMEOUT, trust_env=False, headers={"User-Agent": USER_AGENT})
    try:
        for (sink, group), alerts in messages.items():
            error = _send(sink, alerts, group.startswith("digest:"), http)
            state.record_delivery(store, sink, [alert.id for alert in alerts], error)
            if error:
                failed += 1
                log(f"alert delivery to {sink} failed: {error}")
            else:
                sent += 1
    finally:
        if own_client:
            http.close()
    return sent, failed


def message_body(alerts: Sequence[state.Alert], digest: bool) -> dict[str, Any]:
    if digest:
        return {"digest": True, "count": len(alerts), "alerts": [alert.to_json() for alert in alerts]}
    return alerts[0].to_json()


def _send(spec: str, alerts: Sequence[state.Alert], digest: bool, http: httpx.Client) -> Optional[str]:
    """None when sent, else the reason in one line."""
    try:
        sink = parse_sink(spec)
        body = message_body(alerts, digest)
        if sink.kind == "file":
            path = Path(sink.target)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(body, ensure_ascii=False) + "\n")
        elif sink.kind == "webhook":
            response = http.post(sink.target, json=body)
            if response.status_code >= 300:
                return f"HTTP {response.status_code}"
        else:
            _send_mail(sink, alerts, body, digest)
    except (OSError, httpx.HTTPError, smtplib.SMTPException, SinkError) as error:
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return None


def _send_mail(sink: Sink, alerts: Sequence[state.Alert], body: dict[str, Any], digest: bool) -> None:
    host, _, port = sink.target.rpartition(":")
    message = EmailMessage()
    message["From"] = (sink.options.get("from") or ["storyline@localhost"])[0]
    message["To"] = ", ".join(sink.options["to"])
    if digest:
        message["Subject"] = f"storyline: {len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    else:
        message["Subject"] = f"storyline: {alerts[0].payload.get('summary', alerts[0].kind)}"[:200]
    lines = [f"- [{alert.kind}] {alert.payload.get('summary', '')}"
             + (f" (story {alert.story_id})" if alert.story_id else "") for alert in alerts]
    message.set_content("\n".join(lines) + "\n\n" + json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    with smtplib.SMTP(host, int(port), timeout=DELIVERY_TIMEOUT) as smtp:
        if sink.options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls()
        user, password = os.environ.get("STORYLINE_SMTP_USER"), os.environ.get("STORYLINE_SMTP_PASSWORD")
        if user and password:
            smtp.login(user, password)
        smtp.send_message(message)
