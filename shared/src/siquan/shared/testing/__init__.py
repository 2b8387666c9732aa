"""Test support: an isolated broker vhost and databases per test session, service processes,
and waiting for conditions instead of sleeping."""
