"""Documents the services hand to officers and the public: spreadsheets (XLSX) of rosters,
runs, statements and reports, and printable PDFs with Chinese text (the public notice, the
year-end statement). How an endpoint answers one: `file_response`; how the OpenAPI
document names it: `file_responses`."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
EXTENSIONS = {XLSX: "xlsx", PDF: "pdf"}


def file_response(content: bytes, media_type: str, name: str) -> Response:
    """The document as a download named `name.<extension>` (ASCII: codes and ids only)."""
    filename = f"{name}.{EXTENSIONS[media_type]}"
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def file_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of an endpoint answering a document: its media type, a binary body."""
    return {200: {"description": description,
                  "content": {media_type: {"schema": {"type": "string",
                                                      "format": "binary"}}}}}


NO_FONT: dict[int | str, dict[str, Any]] = {406: {
    "description": "This server cannot print: its CJK font is missing (development mode "
                   "only; elsewhere the service does not start without it)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
"""The `responses=` entry of an endpoint answering a PDF."""
