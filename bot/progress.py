"""Progress of long work (ingesting, indexing): a tqdm bar on a terminal, plain flushed lines otherwise.

It lives at the top of the package, beside ``config`` and ``models``, because both ``bot.ingest`` and
``bot.search`` report progress and neither may import the other for it.

Plain lines matter beyond looks: ``committed N records`` is printed only after the batch's transaction
has committed, so a supervisor (or the crash test) reading the output knows what survives a kill.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm


class Progress:
    """Reports phases, per-record advance and committed batches; silent when disabled.

    ``label`` starts every plain line (``ingest: …``, ``indexing: …``) and ``unit`` names what is counted.
    With ``every`` (seconds), :meth:`advance` writes a ``done/total`` line that often when there is no
    terminal, and :meth:`start` writes nothing (the caller has said what starts); ingest reports durable
    batches through :meth:`committed` instead. ``sink`` takes the plain lines instead of the stream: a
    logger's ``info`` in a service, a command line's report.
    """

    def __init__(self, enabled: bool, stream: TextIO | None = None, label: str = "ingest", unit: str = "rec",
                 every: float | None = None, sink: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.label, self.unit, self.every, self.sink = label, unit, every, sink
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._bar: tqdm | None = None
        self._phase, self._total, self._done, self._last = "", None, 0, 0.0

    def start(self, phase: str, total: int | None = None) -> None:
        """Begin a phase (e.g. reading for chrome learning, then storing)."""
        self._close_bar()
        self._phase, self._total, self._done, self._last = phase, total, 0, time.monotonic()
        if self.tty:
            self._bar = tqdm(total=total, desc=phase, unit=f" {self.unit}", file=self.stream, dynamic_ncols=True,
                             mininterval=0.5, leave=True)  # fmt: skip
        elif self.enabled and self.every is None:
            self._log(f"{self.label}: {phase}" + (f" ({total} records)" if total is not None else ""))

    def advance(self, n: int = 1) -> None:
        """Count processed records."""
        self._done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled and self.every is not None and time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            self._log(f"{self.label}: {self._done}/{self._total or '?'} {self.unit}")

    def committed(self, done: int, tally: str) -> None:
        """A batch is durable: ``done`` records are stored so far."""
        if self._bar is not None:
            self._bar.set_postfix_str(tally, refresh=False)
        elif self.enabled:
            self._log(f"{self.label}: committed {done} records ({tally})")

    def note(self, message: str) -> None:
        """A one-off message that must not break the bar."""
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        elif self.enabled:
            self._log(message)

    def close(self) -> None:
        """Finish the bar."""
        self._close_bar()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _log(self, message: str) -> None:
        if self.sink is not None:
            self.sink(message)
        else:
            print(message, file=self.stream, flush=True)
