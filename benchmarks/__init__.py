"""Benchmarks of sksoftce against scikit-learn: ``python -m benchmarks [--quick]``."""
