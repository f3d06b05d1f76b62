"""The ingest summary: what was stored, what cleaning removed, and every per-record problem.

One dataclass, returned by :func:`bot.ingest.ingest` so the bot can log it, and printed by the CLI.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.store import Outcome

from .build import Built
from .records import RecordIssue

MAX_LISTED_ISSUES = 1000
"""Issues kept in the summary; a broken 26k-line file still gets exact counts, not a 26k-line list."""


@dataclass
class IngestSummary:
    """Counts and issues of one ingest run.

    ``added/updated/unchanged/duplicate`` are store outcomes; ``flagged`` counts records stored as pages
    without a real body (they are within the outcome counts too); ``failed`` counts records (or whole
    files and URLs) that could not be stored at all.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    flagged: int = 0
    failed: int = 0
    warned: int = 0
    not_modified: int = 0
    skipped_files: int = 0
    inputs: int = 0
    removed_lines: int = 0
    chrome_keys: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # why the run stopped early (a full disk); what was committed stays
    removed_by_rule: Counter = field(default_factory=Counter)
    removed_lines_by_text: Counter = field(default_factory=Counter)
    flagged_reasons: Counter = field(default_factory=Counter)
    errors: list[RecordIssue] = field(default_factory=list)
    warnings: list[RecordIssue] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Records that reached the store (whatever the outcome)."""
        return self.added + self.updated + self.unchanged + self.duplicate

    @property
    def ok(self) -> bool:
        """True when no record failed and the run was not stopped."""
        return self.failed == 0 and self.stopped is None

    @property
    def exit_status(self) -> int:
        """0 when everything was ingested, 1 when some records failed or the run stopped early."""
        return 0 if self.ok else 1

    def top_removed(self, n: int = 5) -> list[tuple[str, int]]:
        """The most often removed lines (or line shapes), with counts."""
        return self.removed_lines_by_text.most_common(n)

    def add_issue(self, issue: RecordIssue) -> None:
        """Record an error (record not stored) or a warning (stored anyway)."""
        if issue.fatal:
            self.failed += 1
            if len(self.errors) < MAX_LISTED_ISSUES:
                self.errors.append(issue)
        else:
            self.warned += 1
            if len(self.warnings) < MAX_LISTED_ISSUES:
                self.warnings.append(issue)

    def add_built(self, built: Built) -> None:
        """Account for what cleaning did to one article."""
        for removal in built.removals:
            self.removed_by_rule[removal.rule] += 1
            self.removed_lines_by_text[removal.shown] += 1
        self.removed_lines += len(built.removals)
        if built.article.flagged:
            self.flagged += 1
            self.flagged_reasons[built.article.flagged] += 1
        for warning in built.warnings:
            self.add_issue(warning)

    def add_outcome(self, outcome: Outcome) -> None:
        """Count one store outcome."""
        name = outcome.value
        setattr(self, name, getattr(self, name) + 1)

    def counts_line(self) -> str:
        """The one-line tally used in progress logs and the summary's first line."""
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"duplicate {self.duplicate}, flagged {self.flagged}, failed {self.failed}"
        )

    def format(self, top: int = 5, max_issues: int = 20) -> str:
        """A human-readable summary (what the CLI prints)."""
        lines = [f"ingest: {self.counts_line()} ({self.seconds:.1f} s)"]
        if self.stopped:
            lines.insert(0, f"ingest stopped: {self.stopped}; the {self.stored} records counted below were "
                            "committed and stay stored")  # fmt: skip
        if self.not_modified:
            lines.append(f"feeds not modified since last fetch (304): {self.not_modified}")
        if self.skipped_files:
            lines.append(f"files unchanged since their last complete ingest (not read): {self.skipped_files}")
        rules = ", ".join(f"{rule} {n}" for rule, n in self.removed_by_rule.most_common())
        lines.append(f"removed chrome lines: {self.removed_lines}" + (f" ({rules})" if rules else ""))
        if self.chrome_keys:
            lines.append(
                f"site chrome known: {self.chrome_keys} repeated lines and widget shapes (per source)"
            )
        for text, n in self.top_removed(top):
            shown = text if len(text) <= 90 else text[:87] + "..."
            lines.append(f"  {n:>6}  {shown}")
        for reason, n in self.flagged_reasons.most_common():
            lines.append(f"flagged (not indexed): {n} - {reason}")
        lines.extend(self._issue_lines("errors", self.errors, self.failed, max_issues))
        lines.extend(self._issue_lines("warnings", self.warnings, self.warned, max_issues))
        return "\n".join(lines)

    @staticmethod
    def _issue_lines(name: str, issues: list[RecordIssue], total: int, limit: int) -> list[str]:
        if not total:
            return []
        out = [f"{name}: {total}"]
        out.extend(f"  {issue.where}: {issue.reason}" for issue in issues[:limit])
        if total > limit:
            out.append(f"  ... and {total - limit} more")
        return out
