"""Benchmarks: chordflow against the raw Celery floor, same Redis, same worker count."""
