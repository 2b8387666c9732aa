"""Infrastructure the four services share: settings, PostgreSQL access, the transactional
outbox and inbox, message signing, dead-lettering, telemetry and operator authentication.

Nothing here knows any service's domain.
"""
