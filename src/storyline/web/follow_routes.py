"""The follow pages: recent alerts, managing watches, and what is new since the last visit or a chosen time.

Registered by :func:`storyline.web.app.create_app`; each page has its JSON twin like every other.
Changing watches follows the upload rules: off with --read-only, and it needs the access token when
the server was started with one; every form carries the page's CSRF token.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from .. import follow
from ..follow.state import now_iso
from ..store import open_store
from . import follow_views
from .security import same_secret

LAST_VISIT_COOKIE = "storyline_last_visit"
MAX_FIELD_CHARS = 500

Render = Callable[..., Response]


def register(app: FastAPI, *, render: Render, pool: Any, config: Any, csrf: str) -> None:
    def error(request: Request, message: str, as_json: bool, status: int) -> Response:
        return render(request, "error.html", {"error": message}, as_json, status=status)

    @app.get("/alerts")
    @app.get("/alerts.json")
    def alerts(request: Request) -> Response:
        as_json = request.url.path.endswith(".json") or request.query_params.get("format") == "json"
        with pool.reader() as store:
            data = follow_views.alerts_page(store)
        return render(request, "alerts.html", data, as_json)

    @app.get("/watches")
    @app.get("/watches.json")
    def watch_list(request: Request) -> Response:
        as_json = request.url.path.endswith(".json") or request.query_params.get("format") == "json"
        with pool.reader() as store:
            data = follow_views.watches_page(store)
        data["editable"] = config.uploads_allowed
        data["reason"] = config.uploads_reason
        return render(request, "watches.html", data, as_json, csrf=csrf, token_required=bool(config.token))

    async def checked_form(request: Request, as_json: bool) -> tuple[dict[str, Any], Response | None]:
        if not config.uploads_allowed:
            return {}, error(request, "watches cannot be changed: " + config.uploads_reason, as_json, 403)
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
            return {}, error(request, "cross-site request refused", as_json, 403)
        try:
            form = await request.form(max_files=0, max_fields=30)
        except Exception as unreadable:  # noqa: BLE001 - a malformed form is the client's problem: say what it was
            return {}, error(request, f"unreadable form: {unreadable}", as_json, 400)
        fields = {key: [str(v)[:MAX_FIELD_CHARS] for v in form.getlist(key)] for key in form.keys()}
        given = (fields.get("csrf") or [request.headers.get("x-storyline-csrf") or ""])[0]
        if not same_secret(given, csrf):
            return {}, error(request, "stale or missing form token; reload the page", as_json, 403)
        if config.token:
            token = (fields.get("token") or [request.headers.get("x-storyline-token") or ""])[0]
            if not same_secret(token, config.token):
                return {}, error(request, "a valid access token is required", as_json, 403)
        return fields, None

    @app.post("/watches")
    async def watch_add(request: Request) -> Response:
        as_json = request.query_params.get("format") == "json"
        fields, refused = await checked_form(request, as_json)
        if refused is not None:
            return refused

        def one(name: str) -> str | None:
            value = (fields.get(name) or [""])[0].strip()
            return value or None

        name = one("name")
        kinds = [kind for kind in fields.get("kinds", []) if kind.strip()]
        sinks = [line.strip() for text in fields.get("sinks", []) for line in text.splitlines() if line.strip()]
        if not name or not sinks:
            return error(request, "a watch needs a name and at least one place to send alerts", as_json, 400)
        for kind in kinds:
            if not follow.known_kind(kind):
                return error(request, f"unknown kind {kind!r}", as_json, 400)
        for sink in sinks:
            try:
                follow.parse_sink(sink)
            except follow.SinkError as bad:
                return error(request, str(bad), as_json, 400)
        with open_store(config.db_path) as store:
            watch = follow.add_watch(store, name, entity=one("entity"), phrase=one("phrase"), outlet=one("outlet"),
                                     kinds=kinds, sinks=sinks, digest=bool(one("digest")))
            follow.mark_all_seen(store)
        if as_json:
            return JSONResponse({"watch": follow.state.as_dict(watch)}, status_code=201)
        return RedirectResponse("/watches", status_code=303)

    @app.post("/watches/{watch_id}/delete")
    async def watch_delete(request: Request, watch_id: str) -> Response:
        as_json = request.query_params.get("format") == "json"
        _, refused = await checked_form(request, as_json)
        if refused is not None:
            return refused
        with open_store(config.db_path) as store:
            removed = follow.remove_watch(store, watch_id)
        if not removed:
            return error(request, f"no watch {watch_id!r}", as_json, 404)
        if as_json:
            return JSONResponse({"removed": watch_id})
        return RedirectResponse("/watches", status_code=303)

    @app.get("/new")
    @app.get("/new.json")
    def whats_new(request: Request, since: str = "") -> Response:
        as_json = request.url.path.endswith(".json") or request.query_params.get("format") == "json"
        chosen = follow_views.parse_since(since[:40]) if since else None
        if since and chosen is None:
            return error(request, f"since must be an ISO date or time such as 2026-12-03T08:00; got {since[:40]!r}",
                         as_json, 400)
        last_visit = follow_views.parse_since(request.cookies.get(LAST_VISIT_COOKIE, "")[:40])
        start = chosen or last_visit or follow_views.default_since()
        with pool.reader() as store:
            data = follow_views.whats_new_page(store, start)
        data["basis"] = "chosen time" if chosen else ("your last visit" if last_visit else "the last 24 hours")
        response = render(request, "new.html", data, as_json)
        if not chosen:
            # The next visit shows what came after this one.
            response.set_cookie(LAST_VISIT_COOKIE, now_iso(), max_age=400 * 24 * 3600, httponly=True,
                                samesite="lax")
        return response
