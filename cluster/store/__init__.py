"""The store: every piece of SQL chordflow runs lives in this package."""
from cluster.store.db import Store

__all__ = ["Store"]
