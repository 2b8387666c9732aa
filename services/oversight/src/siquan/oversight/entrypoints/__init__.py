"""Oversight's entrypoints: the auditor's HTTP API and the command line."""
