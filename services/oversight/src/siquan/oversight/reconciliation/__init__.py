"""三追究: reconciliation rules run on every event as it arrives, raising accountability
findings (and holds on suspected false claims) with their evidence.

The handlers in `application.eligibility_rules`, `payment_rules` and `fund_rules` run,
inside the transaction that logs each event, the rules that event can break; the
composition root (`app`) adds the auditor's routes and the sweep that finds what is
missing after a grace period or a deadline.
"""
