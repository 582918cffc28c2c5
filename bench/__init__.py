"""smssign's benchmarks: the framework's limit, moto, cold start and scale, side by side.

Run `python -m bench` (see bench/README.md).
"""
