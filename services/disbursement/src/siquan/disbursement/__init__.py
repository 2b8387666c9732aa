"""Disbursement (资金发放): pays. Owns the payee account registry, payment runs per program
and period, the instructions to the bank and their results. Pays a person only with a
certification valid for the period and an allocation for the run, never twice for the same
(person, program, period), with amounts from the policy catalogue."""
