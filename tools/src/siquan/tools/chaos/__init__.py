"""Fault campaigns: faults injected at random (reproducibly, from a seed) into a running
Siquan, and a count of what the promises still hold."""
