"""Benchmarks with their targets; each prints its figures next to the target."""
