"""The administrator's dead-letter pages every service serves under
`/console/dead-letters`: its dead letters counted by queue and reason and listed, one
inspected (headers and body, resident ID numbers blanked), and replayed or discarded —
one, or all those of a queue and reason — with a stated reason. Each replay or discard is
journalled in the service's `dead_letter_actions` and published to oversight
(`*_officers.activity.v1`, `dead_letter_replayed` / `dead_letter_discarded`) before the
message is touched, as the operator command (`python -m siquan.shared.dead_letters`)
journals its own."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siquan.shared.accounts.store import Client
from siquan.shared.auth import Officer
from siquan.shared.dead_letters import (
    Selection,
    discard_dead_letters,
    inspect_dead_letter,
    list_dead_letters,
    replay_dead_letters,
    summarise,
)

if TYPE_CHECKING:
    from siquan.shared.accounts.web import AccountPages

LISTED = 200
"""Dead letters listed on the page, at most (the summary counts the same ones)."""
_RESIDENT_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def _(message: str) -> str:
    return message


DONE = {"replay": _("Replayed to the queue it came from: %(count)s message(s)."),
        "discard": _("Discarded: %(count)s message(s).")}
REFUSED = {"reason": _("State why (the reason is recorded and sent to oversight)."),
           "which": _("Choose one dead letter, or all those of a queue.")}


def blanked(value: Any) -> str:
    """A dead letter's headers or body as indented JSON, resident ID numbers blanked."""
    return _RESIDENT_ID.sub("*" * 18, json.dumps(value, ensure_ascii=False, indent=2,
                                                 default=str))


class ConsoleJournal:
    """The console's `Recorder`: the journal row and the event to oversight, in one
    transaction of the service's database."""

    def __init__(self, pages: AccountPages, actor: Officer, reason: str, client: Client
                 ) -> None:
        self.pages, self.actor, self.reason, self.client = pages, actor, reason, client

    async def record(self, action: str, letter: dict[str, Any]) -> None:
        await self.pages.store.record_dead_letter(self.actor, action, letter, self.reason,
                                                  self.client)


def add_routes(router: APIRouter, pages: AccountPages, amqp_url: str, client_of: Any
               ) -> None:
    base = "/dead-letters"

    async def listing(request: Request, session: Any, *, notice: str = "",
                      problem: str = "", status: int = 200) -> Response:
        queue = request.query_params.get("queue") or None
        reason = request.query_params.get("reason") or None
        letters = await list_dead_letters(amqp_url, pages.service, LISTED,
                                          Selection(queue=queue, reason=reason))
        return pages.render(request, "accounts/dead_letters.html", status, session=session,
                            letters=letters, summary=summarise(letters), queue=queue or "",
                            reason=reason or "", notice=notice, problem=problem,
                            listed=LISTED, filter_link=_filter_link)

    @router.get(base)
    async def dead_letters(request: Request) -> Response:
        session = await pages.administrator(request)
        if isinstance(session, Response):
            return session
        return await listing(request, session)

    @router.get(base + "/{message_id}")
    async def dead_letter(request: Request, message_id: str) -> Response:
        session = await pages.administrator(request)
        if isinstance(session, Response):
            return session
        found = await inspect_dead_letter(amqp_url, pages.service, message_id)
        if found is None:
            return pages.refused(request, session, pages.console_messages(request).gettext(
                "There is no such dead letter (it may have been replayed or discarded)."),
                404)
        return pages.render(request, "accounts/dead_letter.html", session=session,
                            letter=found, headers=blanked(found["headers"]),
                            body=blanked(found["body"]))

    async def act(request: Request, action: str) -> Response:
        session, form = await pages.admin_form(request)
        if isinstance(session, Response):
            return session
        messages = pages.console_messages(request)
        stated = str(form.get("reason", "")).strip()
        message_id = str(form.get("message_id", "")).strip() or None
        everything = form.get("all") == "1"
        if not stated:
            return await listing(request, session, problem=messages.gettext(
                REFUSED["reason"]), status=422)
        if message_id is None and not everything:
            return await listing(request, session, problem=messages.gettext(
                REFUSED["which"]), status=422)
        selection = Selection(message_id=message_id,
                              queue=str(form.get("queue", "")).strip() or None,
                              reason=str(form.get("reason_contains", "")).strip() or None)
        journal = ConsoleJournal(pages, session.officer.officer(), stated[:1000],
                                 client_of(request))
        if action == "replay":
            count = await replay_dead_letters(amqp_url, pages.service, selection=selection,
                                              journal=journal)
        else:
            count = await discard_dead_letters(amqp_url, pages.service, selection, journal)
        return await listing(request, session,
                             notice=messages.gettext(DONE[action]) % {"count": count})

    @router.post(base + "/replay")
    async def replay(request: Request) -> Response:
        return await act(request, "replay")

    @router.post(base + "/discard")
    async def discard(request: Request) -> Response:
        return await act(request, "discard")


def _filter_link(queue: str, reason: str) -> str:
    """The dead letters of a summary row: its queue, and its reason up to the first id the
    summary left out."""
    return "?" + urlencode({"queue": queue or "", "reason": (reason or "").split("…")[0]})
