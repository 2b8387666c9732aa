"""Why a command or a message is refused. Domain code raises these; every service's HTTP
API answers `Refused` with the status below and the message as the reason, the consumer
dead-letters a message on `RuleBroken` with the reason; neither changes anything. A domain
error may be both (a rule that refuses the command and the message alike)."""


class Refused(Exception):
    """A business rule refuses the command (409). `errors` names, field by field, what
    is wrong or missing (the API answers them beside the reason, as it does for a body
    that fails validation): `{"field": ..., "msg": ..., "type": ...}`, never the input."""

    status = 409

    def __init__(self, *args: object, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(*args)
        self.errors = errors


class NotFound(Refused):
    status = 404


class OutOfScope(Refused):
    """The officer may not act on this division or record (403)."""

    status = 403


class InvalidRequest(Refused):
    status = 422


class RuleBroken(Exception):
    """A domain rule refuses the message: permanent, the message is dead-lettered."""
