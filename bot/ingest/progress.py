"""Progress reporting: a tqdm bar on a terminal, plain flushed log lines otherwise.

Plain lines matter beyond looks: ``committed N records`` is printed only after the batch's transaction
has committed, so a supervisor (or the crash test) reading the output knows what survives a kill.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


class Progress:
    """Reports phases, per-record advance and committed batches; silent when disabled."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._bar: tqdm | None = None

    def start(self, phase: str, total: int | None = None) -> None:
        """Begin a phase (e.g. reading for chrome learning, then storing)."""
        self._close_bar()
        if self.tty:
            self._bar = tqdm(total=total, desc=phase, unit=" rec", file=self.stream, dynamic_ncols=True,
                             mininterval=0.5, leave=True)  # fmt: skip
        elif self.enabled:
            self._log(f"ingest: {phase}" + (f" ({total} records)" if total is not None else ""))

    def advance(self, n: int = 1) -> None:
        """Count processed records."""
        if self._bar is not None:
            self._bar.update(n)

    def committed(self, done: int, tally: str) -> None:
        """A batch is durable: ``done`` records are stored so far."""
        if self._bar is not None:
            self._bar.set_postfix_str(tally, refresh=False)
        elif self.enabled:
            self._log(f"ingest: committed {done} records ({tally})")

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
        print(message, file=self.stream, flush=True)
