"""The results store: every `coach score --store` run kept in SQLite or PostgreSQL, for trends
and reports over weeks of exports.

Public API: open_store(), Store, RunWriter, fingerprints(). Tables are documented in
docs/store.md for BI tools that read them directly.
"""

from __future__ import annotations

from .fingerprint import fingerprints
from .store import RunWriter, Store, open_store

__all__ = ["open_store", "Store", "RunWriter", "fingerprints"]
