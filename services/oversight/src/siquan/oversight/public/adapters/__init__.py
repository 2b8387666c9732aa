"""The public side's tables: notices as posted, complaints, and the per-person ledger
statements are read from."""
