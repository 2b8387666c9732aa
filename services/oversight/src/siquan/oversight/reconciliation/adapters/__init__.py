"""Reconciliation's tables in oversight's database: the facts the rules remember, the
settled payments, findings, holds and flags, and the report queries."""
