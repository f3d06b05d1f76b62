"""Inputs: files (format sniffed from content), directories, URLs (feed or article page).

A source yields :class:`RawRecord` and :class:`RecordIssue` items and can be read twice (the pipeline's
chrome-learning pass, then its storing pass): files are simply re-read, URLs are fetched once and kept.
A feed's ETag/Last-Modified are saved by :meth:`UrlSource.finish`, i.e. only after its entries have
been stored, so a crash in between cannot make the next conditional GET skip unstored entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Protocol

from bot.store.state import FeedState, StateRepo

from .feeds import FEED_CONTENT_TYPES, looks_like_feed, never_known, parse_feed
from .fetch import Fetcher, FetchError
from .html import extract_html, http_date, looks_like_html, mtime_date
from .jsonl import GZIP_MAGIC, read_jsonl
from .records import Known, RawRecord, RecordIssue
from .scraped import looks_scraped, read_scraped

Item = RawRecord | RecordIssue | Known
KnownCheck = Callable[[str], bool]
SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".ndjson", ".gz", ".json", ".html", ".htm", ".xml", ".rss", ".atom")
_SNIFF_BYTES = 8192


class Source(Protocol):
    """Something that yields records; ``finish`` runs after its records are stored."""

    where: str

    def records(self) -> Iterator[Item]: ...

    def finish(self, state: StateRepo, failed: bool) -> None: ...


def is_url(value: str) -> bool:
    """True for http(s) URLs (everything else is a path)."""
    return value.startswith(("http://", "https://"))


def _is_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.05


def sniff(head: bytes) -> str:
    """The format of a document from its first bytes: jsonl, scraped, feed, html, binary or unknown."""
    if head[:2] == GZIP_MAGIC:
        return "jsonl"
    if _is_binary(head):
        return "binary"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if looks_scraped(text):
        return "scraped"
    if text.startswith("{"):
        return "jsonl"
    if looks_like_feed(head):
        return "feed"
    if looks_like_html(head):
        return "html"
    if text.startswith("<?xml"):
        return "feed"
    return "unknown"


class FileSource:
    """One local file; with ``skip_unchanged`` a file ingested whole before, and not modified since,
    is not read again (for pollers that re-ingest watch folders every few minutes)."""

    def __init__(self, path: Path, fetcher: Fetcher, skip_unchanged: bool = False,
                 state: StateRepo | None = None) -> None:  # fmt: skip
        self.path = path
        self.where = str(path)
        self.fetcher = fetcher
        self.skip_unchanged = skip_unchanged
        self.skipped = False
        self._state = state
        self._read_signature: tuple[str, str] | None = None

    def _signature(self) -> tuple[str, str] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return f"ingest:file:{self.path.resolve()}", f"{stat.st_size}:{stat.st_mtime_ns}"

    def records(self) -> Iterator[Item]:
        if self.skip_unchanged and self._state is not None:
            if self._read_signature is None:  # taken before the first read: later edits count as changes
                self._read_signature = self._signature()
            if self._read_signature and self._state.get(self._read_signature[0]) == self._read_signature[1]:
                self.skipped = True
                return
        try:
            size = self.path.stat().st_size
            with self.path.open("rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except OSError as exc:
            yield RecordIssue(self.where, f"cannot read: {exc.strerror or exc}")
            return
        if size == 0 or not head.strip():
            yield RecordIssue(self.where, "empty file")
            return
        kind = sniff(head)
        if kind == "jsonl":
            yield from read_jsonl(self.path)
        elif kind == "scraped":
            yield read_scraped(self.path)
        elif kind == "html":
            data = self.path.read_bytes()
            yield extract_html(
                data, self.where, self.path.resolve().as_uri(), mtime_date(self.path.stat().st_mtime)
            )
        elif kind == "feed":
            yield from parse_feed(self.path.read_bytes(), self.where, self.fetcher)
        elif kind == "binary":
            yield RecordIssue(self.where, "binary file: not JSON Lines, a scraped page, HTML or a feed")
        else:
            yield RecordIssue(
                self.where, "unsupported format: not JSON Lines, a scraped page, HTML or a feed"
            )

    def finish(self, state: StateRepo, failed: bool) -> None:
        """Remember the file's size and mtime once all of it is stored (used by ``skip_unchanged``)."""
        if self.skip_unchanged and not failed and not self.skipped and self._read_signature:
            state.set(*self._read_signature)


class UrlSource:
    """One URL: a feed (conditional GET, entries) or an article page."""

    def __init__(
        self,
        url: str,
        fetcher: Fetcher,
        state: StateRepo,
        expect_feed: bool = False,
        known: KnownCheck | None = None,
    ) -> None:
        self.url = url
        self.known = known
        self.where = url
        self.fetcher = fetcher
        self.state = state
        self.expect_feed = expect_feed
        self.not_modified = False
        self._items: list[Item] | None = None
        self._pending: FeedState | None = None

    def records(self) -> Iterator[Item]:
        if self._items is None:
            self._items = list(self._fetch())
        yield from self._items

    def _fetch(self) -> Iterator[Item]:
        prior = self.state.feed(self.url)
        try:
            reply = self.fetcher.get(self.url, prior.etag, prior.last_modified)
        except FetchError as exc:
            if self.expect_feed or prior.etag or prior.last_modified:
                self._pending = replace(prior, checked_at=None, last_error=str(exc))
            yield RecordIssue(self.url, str(exc))
            return
        if reply.not_modified:
            self.not_modified = True
            self._pending = replace(prior, checked_at=None, last_error=None)
            return
        head = reply.content[:_SNIFF_BYTES]
        if looks_like_feed(head) or (reply.content_type in FEED_CONTENT_TYPES and not looks_like_html(head)):
            items = parse_feed(reply.content, self.url, self.fetcher, self.known or never_known)
            failed = [i for i in items if isinstance(i, RecordIssue)]
            # Validators only when every entry made it: otherwise the next run must see them again.
            self._pending = FeedState(
                url=self.url,
                etag=None if failed else reply.etag,
                last_modified=None if failed else reply.last_modified,
                last_error=_feed_error(self.url, failed),
            )
            yield from items
        elif self.expect_feed:
            reason = f"not an RSS/Atom feed (got {reply.content_type or 'unknown content type'})"
            self._pending = replace(prior, checked_at=None, last_error=reason)
            yield RecordIssue(self.url, reason)
        else:
            fallback = http_date(reply.last_modified) or date.today()
            yield extract_html(reply.content, self.url, self.url, fallback)

    def finish(self, state: StateRepo, failed: bool) -> None:
        """Save the feed's validators and last outcome (after its entries were stored)."""
        if self._pending is not None:
            state.save_feed(self._pending)
            self._pending = None


def _feed_error(url: str, failed: list[RecordIssue]) -> str | None:
    """What to remember about a feed fetch that had problems (None when it had none)."""
    if not failed:
        return None
    if len(failed) == 1 and failed[0].where == url:
        return failed[0].reason
    return f"{len(failed)} entries failed, e.g. {failed[0].where}: {failed[0].reason}"[:300]


def _directory_files(root: Path) -> list[Path]:
    """Supported files under a directory, recursively, hidden ones skipped, in a stable order."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(part.startswith(".") for part in rel) or not path.is_file():
            continue
        if path.name.lower().endswith(SUPPORTED_SUFFIXES):
            found.append(path)
    return found


class MissingSource:
    """A path that does not exist: one issue."""

    def __init__(self, where: str) -> None:
        self.where = where

    def records(self) -> Iterator[Item]:
        yield RecordIssue(self.where, "no such file, directory or URL")

    def finish(self, state: StateRepo, failed: bool) -> None:
        """Nothing to keep."""


def discover(
    paths_or_urls: Iterable[str | Path],
    feeds: Iterable[str],
    fetcher: Fetcher,
    state: StateRepo,
    known: KnownCheck | None = None,
    skip_unchanged_files: bool = False,
) -> list[Source]:
    """One source per file (directories expanded), URL and feed URL, in the order given."""
    sources: list[Source] = []
    for item in paths_or_urls:
        text = str(item)
        if is_url(text):
            sources.append(UrlSource(text, fetcher, state, known=known))
            continue
        path = Path(text).expanduser()
        files = _directory_files(path) if path.is_dir() else [path] if path.exists() else []
        if not files and not path.is_dir():
            sources.append(MissingSource(text))
        sources.extend(FileSource(p, fetcher, skip_unchanged_files, state) for p in files)
    for url in feeds:
        sources.append(
            UrlSource(url, fetcher, state, expect_feed=True, known=known)
            if is_url(url)
            else MissingSource(url)
        )
    return sources
