"""What a deploy or delete shows while it runs, and the log file it leaves.

Every line (stack events with their elapsed time, change-set tables, decisions) goes to the
run's log file with a timestamp. On a terminal the lines scroll above a live board of every
stack's state (rich); elsewhere (CI, pipes) they are plain timestamped lines, and rich is not even
imported (a fifth of a second of a fresh process's start: docs/performance.md).
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from stackyard.aws import ResourceChange, StackEvent
from stackyard.deploy.risk import note
from stackyard.deploy.scheduler import Outcome

if TYPE_CHECKING:
    from rich.live import Live
    from rich.table import Table

CHANGE_COLUMNS = ("action", "logical id", "type", "replacement", "")


class Progress:
    def __init__(
        self, env: str, stacks: list[str], log_file: Path, out: TextIO | None = None, live: bool | None = None
    ):
        self.env = env
        self.out = out or sys.stdout
        self.log_file = log_file
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_file.open("a", encoding="utf-8")
        # Reentrant: the Ctrl-C handler prints from the main thread, which may be printing already.
        self._lock = threading.RLock()
        self._states = dict.fromkeys(stacks, "waiting")
        self._width = max([len(stack) for stack in stacks] + [8])
        live = self.out.isatty() if live is None else live
        self._live = self._start_board() if live else None

    def state(self, stack: str, text: str) -> None:
        """A stack's current step, shown on the live board (and logged)."""
        with self._lock:
            self._states[stack] = text
            if self._live:
                self._live.update(self._board())
        self.line(stack, text)

    def line(self, stack: str, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        message = f"{stamp} {self.env} {stack:<{self._width}} {text}"
        with self._lock:
            self._log.write(message + "\n")
            self._log.flush()
            if self._live:
                self._live.console.print(message, markup=False, highlight=False)
            else:
                print(message, file=self.out, flush=True)

    def event(self, stack: str, event: StackEvent, started: datetime, within: str = "") -> None:
        """A resource event; `within` is the nested stack path it happened in ("Vpc/"), "" for the stack."""
        elapsed = (event.timestamp - started).total_seconds()
        reason = f"  {event.reason}" if event.reason else ""
        logical_id = f"{within}{event.logical_id}"
        self.line(
            stack,
            f"{logical_id:<28} {event.resource_type:<36} {event.status:<28} +{max(elapsed, 0):5.1f}s{reason}",
        )

    def change_set(self, stack: str, changes: list[ResourceChange]) -> None:
        rows = [CHANGE_COLUMNS] + [
            (
                change.action,
                f"{change.nested_in}/{change.logical_id}" if change.nested_in else change.logical_id,
                change.resource_type,
                change.replacement or "-",
                note(change),
            )
            for change in changes
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(len(CHANGE_COLUMNS))]
        self.line(stack, f"change set: {len(changes)} change{'s' if len(changes) != 1 else ''}")
        for row in rows:
            self.line(
                stack, "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
            )

    def ask(self, question: str) -> str:
        """A question on the terminal, with the live board paused."""
        with self._lock:
            if self._live:
                self._live.stop()
            try:
                return input(question)
            finally:
                if self._live:
                    self._live.start()

    def summary(self, outcomes: dict[str, Outcome]) -> None:
        """Each stack's outcome, after the live board is gone; then the log file is closed."""
        self._stop_live()
        width = max([len(stack) for stack in outcomes] + [5])
        with self._lock:
            for stack, outcome in outcomes.items():
                detail = f"  {outcome.detail}" if outcome.detail else ""
                message = f"{stack:<{width}}  {outcome.result}{detail}"
                print(message, file=self.out)
                self._log.write(message + "\n")
        print(f"log: {self.log_file}", file=self.out)
        self.close()

    def close(self) -> None:
        self._stop_live()
        with self._lock:
            if not self._log.closed:
                self._log.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _stop_live(self) -> None:
        with self._lock:
            if self._live:
                self._live.stop()
                self._live = None

    def _start_board(self) -> Live:
        from rich.console import Console
        from rich.live import Live

        board = Live(self._board(), console=Console(file=self.out), refresh_per_second=4, transient=True)
        board.start()
        return board

    def _board(self) -> Table:
        from rich.table import Table

        table = Table(title=f"{self.env}", title_justify="left", show_edge=False)
        table.add_column("stack")
        table.add_column("state")
        for stack, state in self._states.items():
            table.add_row(stack, state)
        return table
