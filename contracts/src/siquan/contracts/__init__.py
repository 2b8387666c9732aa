"""Siquan's wire contracts: message models, broker topology and the policy catalogue.

Everything that crosses a process boundary is defined here and nowhere else, so that
the four services agree on it without importing each other.
"""
