"""Oversight's domain: the audit hash chain, the envelope facts it records, and the
reconciliation figures. No I/O."""
