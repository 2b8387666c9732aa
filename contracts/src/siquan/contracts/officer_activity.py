"""What each service publishes about its officers' accounts (its `*_officers.activity.v1`
message): a login, a failed login, a lockout, every administrator's action on an account
or an API token, and each dead letter an administrator replays or discards. Each service
keeps its own officers; oversight records these messages in its audit log like any other.

No password, code, token or session value is ever in a message; a failed login under a
name no officer has carries no name (what was typed may be personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from siquan.contracts.base import Contract, Event
from siquan.contracts.types import OfficerId

Activity = Literal[
    "login", "login_failed", "locked_out", "logout", "password_changed",
    "totp_enrolled", "officer_created", "officer_changed", "officer_disabled",
    "officer_enabled", "password_reset", "totp_reset", "token_issued", "token_revoked",
    "dead_letter_replayed", "dead_letter_discarded",
]
FailureReason = Literal["unknown_officer", "wrong_password", "wrong_code", "locked",
                        "disabled", "csrf"]


class DeadLetterAction(Contract):
    """A dead letter an administrator replayed or discarded, and why."""

    message_id: str | None = Field(default=None, max_length=200,
                                   description="The dead letter's message id")
    message_type: str | None = Field(default=None, max_length=200,
                                     examples=["certification.granted.v1"],
                                     description="Its message type")
    queue: str | None = Field(default=None, max_length=200,
                              description="The queue it was dead-lettered from")
    stated_reason: str = Field(min_length=1, max_length=1000,
                               description="Why the administrator replayed or discarded it")


class OfficerActivity(Event):
    """One thing that happened to an officer's account in the producing service."""

    activity: Activity = Field(description="What happened")
    officer_id: OfficerId | None = Field(
        default=None, examples=["clerk-420117-01"],
        description="The account it happened to (None: a failed login under a name no "
                    "officer has)")
    actor_id: OfficerId | None = Field(
        default=None, examples=["admin-420117-01"],
        description="Who did it: the officer, or the administrator acting on the account "
                    "(None when nobody was authenticated)")
    at: datetime = Field(description="When (UTC)")
    channel: Literal["console", "api", "command"] = Field(
        description="Where: the console's pages, the JSON API, or an operator's command")
    remote_address: str | None = Field(default=None, max_length=64, examples=["192.0.2.7"],
                                       description="The client's network address")
    reason: FailureReason | None = Field(default=None,
                                         description="Why a login failed")
    roles: tuple[str, ...] | None = Field(
        default=None, examples=[["clerk"]],
        description="The account's roles after the change (created, changed)")
    division: str | None = Field(default=None, pattern=r"^\d{6}(\d{3}){0,2}$",
                                 examples=["420117"],
                                 description="The account's division after the change")
    token_id: str | None = Field(default=None, description="The API token issued or revoked")
    token_scopes: tuple[str, ...] | None = Field(
        default=None, examples=[["*"]],
        description="The roles an issued token may act with (`*`: every role)")
    token_expires_at: datetime | None = Field(default=None,
                                              description="When an issued token expires")
    dead_letter: DeadLetterAction | None = Field(
        default=None, description="The dead letter replayed or discarded (one message each)")
