"""HTML or JSON: `?format=json|html` wins, then the Accept header, then the endpoint's
default. And reading a submitted body as a form or as JSON."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request

FORM = "application/x-www-form-urlencoded"


def wants_json(request: Request, *, default_json: bool = False) -> bool:
    chosen = request.query_params.get("format")
    if chosen in ("json", "html"):
        return chosen == "json"
    accept = request.headers.get("accept", "").lower()
    html_at, json_at = accept.find("text/html"), accept.find("application/json")
    if json_at >= 0 and (html_at < 0 or json_at < html_at):
        return True
    if html_at >= 0:
        return False
    return default_json


def is_json_body(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


class UnreadableBody(ValueError):
    """The body is neither a JSON object nor a URL-encoded form."""


async def submitted(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if is_json_body(request):
        try:
            data = json.loads(raw or b"{}")
        except ValueError as error:
            raise UnreadableBody("the body is not valid JSON") from error
        if not isinstance(data, dict):
            raise UnreadableBody("the body must be a JSON object")
        return data
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (FORM, ""):
        raise UnreadableBody(f"send {FORM} or application/json, not {kind}")
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as error:
        raise UnreadableBody("the form is not UTF-8") from error
    return {name: values[-1] for name, values in fields.items()}
