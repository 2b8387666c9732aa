"""Siquan's workspace tools: benchmarks (`siquan.tools.bench`), clients that drive the
services over their APIs as officers do, and generators of what derives from the code."""
