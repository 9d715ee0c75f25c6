"""Benchmarks (not tests): run with ``python -m bench.export_memory`` and ``python -m bench.cold_start``.

Each starts the emulators it needs on free loopback ports and stops them when it ends.
"""
