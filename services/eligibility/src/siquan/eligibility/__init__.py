"""Eligibility (资格确认): decides who is owed. Owns applications, the review chain and
certifications; never sees a bank account or a yuan of the fund."""
