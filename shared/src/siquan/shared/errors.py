"""Why a command is refused. Domain code raises these; every service's HTTP API answers
them with the status below and the message as the reason, and changes nothing."""


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
