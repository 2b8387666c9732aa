"""Why a command or a message is refused. Domain code raises these; every service's HTTP
API answers `Refused` with the status below and the message as the reason, the consumer
dead-letters a message on `RuleBroken` with the reason; neither changes anything. A domain
error may be both (a rule that refuses the command and the message alike)."""


class Refused(Exception):
    """A business rule refuses the command (409)."""

    status = 409


class NotFound(Refused):
    status = 404


class OutOfScope(Refused):
    """The officer may not act on this division or record (403)."""

    status = 403


class InvalidRequest(Refused):
    status = 422


class RuleBroken(Exception):
    """A domain rule refuses the message: permanent, the message is dead-lettered."""
