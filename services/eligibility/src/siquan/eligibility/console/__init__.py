"""Eligibility's officer console under `/console/eligibility/`: the village clerk enters
applications (with an evidence file) and records community reviews, the township reviewer
works the review queue and posts the public notice (张榜公示, a printable page and the
PDF), the county approver approves or rejects after the notice and revokes
certifications.

Server-rendered pages over the same application layer the JSON API calls (never a rule
of their own): every form works without JavaScript and carries the session's CSRF token;
a role's pages refuse other roles (403) and an officer acts only within their division.
"""
