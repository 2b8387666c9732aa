"""Disbursement's domain: certifications as seen for a period, payee accounts, payment
rosters and runs, and the rules that decide who is paid what. No I/O."""
