"""Benchmark suite of srcgrad: `python -m benchmarks` from the repository root.

See benchmarks/README.md. Nothing here is imported by srcgrad itself.
"""
