"""A thin client for the services' operator APIs. Each call names the officer it acts as;
the trace context of the caller rides along in `traceparent`."""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry import propagate


class RefusedByService(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.request.method} {response.request.url.path} → "
                         f"{response.status_code}: {response.text}")
        self.response = response


class ServiceClient:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=30.0)
        self.last_trace_id: str | None = None
        """The trace the last request started or joined (from the `traceresponse`)."""

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, officer: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer dev-{officer}"}
        propagate.inject(headers)
        response = await self._http.request(method, path, headers=headers, **kwargs)
        traced = response.headers.get("traceresponse", "").split("-")
        self.last_trace_id = traced[1] if len(traced) == 4 else None
        if response.status_code >= 400:
            raise RefusedByService(response)
        return response.json()


class Officers:
    """The development officers of county 420117 (`infra/dev/officers.json`)."""

    clerk = "clerk-420117-01"
    reviewer = "reviewer-420117-01"
    approver = "approver-420117-01"
    treasury = "treasury-420117-01"
    disburser = "disburser-420117-01"
    checker = "disburser-420117-02"
    """A second disbursement officer: confirms the account changes another registered."""
    other_county_disburser = "disburser-420102-01"
    auditor = "auditor-420117-01"
