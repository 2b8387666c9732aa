"""Benchmarks and load generators, run by `make bench`. Each prints JSON and measures the
machine's raw speed in the same run, so results are ratios, not absolute times."""
