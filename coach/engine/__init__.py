"""Rules -> matches: phrase syntax, compiler, spaCy pipeline, matching and its cache.

`Engine` (compiled matchers for a rule set) is the entry point; the analyzer uses it
beside the classifier in `coach.model`. Nothing here imports the CLI or renderers.
"""

from __future__ import annotations

__all__ = ["Engine"]


def __getattr__(name: str):
    # Lazy, so importing a light submodule (normalize, nlp) does not build the rest.
    if name == "Engine":
        from .engine import Engine

        return Engine
    raise AttributeError(name)
