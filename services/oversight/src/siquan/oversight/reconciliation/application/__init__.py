"""Reconciliation's use cases: one short function per event the rules watch, the sweep that
finds what is missing after a deadline, raising findings, holds, reports."""
