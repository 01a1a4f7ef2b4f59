"""Benchmarks of the build and of pmkb check (see results.md)."""
