"""Tables and progress lines for the terminal."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Sequence

import click

_COLORS = {"success": "green", "failed": "red", "upstream_failed": "yellow", "running": "cyan",
           "up_for_retry": "yellow", "skipped": "magenta", "queued": "blue", "mapped": "cyan"}


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def state(text: str) -> str:
    return click.style(text, fg=_COLORS.get(text)) if text else text


def when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"


def task_table(tis: Iterable[Any]) -> str:
    """One line per task instance; a map_index column when the run has mapped tasks."""
    tis = list(tis)
    if not any(t.map_index >= 0 for t in tis):
        return table(["task", "state", "try", "started", "duration", "host"],
                     [(t.task_id, t.state, t.try_number, when(t.start_date),
                       seconds(t.duration), t.hostname) for t in tis])
    return table(
        ["task", "map_index", "state", "try", "started", "duration", "host"],
        [(t.task_id, t.map_index if t.map_index >= 0 else "", t.state, t.try_number,
          when(t.start_date), seconds(t.duration), t.hostname) for t in tis],
    )
