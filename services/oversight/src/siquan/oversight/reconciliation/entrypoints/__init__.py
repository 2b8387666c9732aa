"""Reconciliation's auditor API: findings, holds, flags and the accountability report."""
