"""The rich Console every terminal report is printed with: control characters in the text
it is given come out as visible escapes (`\\x1b`), never as terminal commands.

Renderers escape user text themselves first (coach.controls), so highlights and widths
stay right; this is the net under them, for anything they did not know was text from
outside (a phrasebook message, a file name). Rich's own styling and cursor commands are
separate control segments and pass unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

from ..controls import CONTROL, escape_controls


class SafeConsole(Console):
    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and CONTROL.search(segment.text):
                yield Segment(escape_controls(segment.text), segment.style)
            else:
                yield segment
