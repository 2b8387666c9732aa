"""Eligibility's domain: applications, their review chain and the rules on it. No I/O."""
