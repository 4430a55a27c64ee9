"""Continuo's benchmarks: run from the repository root, e.g. `python -m benchmarks.live_timing`."""
