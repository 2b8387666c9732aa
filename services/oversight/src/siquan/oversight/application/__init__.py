"""Oversight's use cases: recording each event, checkpoints, verification and reports."""
