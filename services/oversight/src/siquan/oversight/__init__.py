"""Oversight (社会监督): watches the other three powers. Consumes every event of every
service and partner into a tamper-evident, hash-chained audit log, and keeps the figures
an auditor reconciles (certified vs. allocated vs. paid vs. settled). It never certifies
or pays."""
