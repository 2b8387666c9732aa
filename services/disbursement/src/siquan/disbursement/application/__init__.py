"""Disbursement's use cases: one short function per command or event, and the payer that
works allocated runs through the bank."""
