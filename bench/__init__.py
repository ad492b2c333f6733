"""Benchmarks run by ``make bench``: throughput, start-up and cluster scale (see README.md)."""
