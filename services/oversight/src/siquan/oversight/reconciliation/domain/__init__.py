"""Reconciliation's domain: the rules an event can break, the findings they raise, and the
facts they judge by (certification timelines, deaths, policy amounts). No I/O."""
