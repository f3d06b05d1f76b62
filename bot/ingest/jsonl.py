"""JSON Lines articles, plain or gzip-compressed (the schema of the shared ``articles.jsonl.gz``).

Keys: ``url``, ``title``, ``text``, ``published`` (``YYYY-MM-DD``; ``date`` is accepted too),
``authors`` (list), ``source``; ``id`` is ignored because the store derives it from the URL. Each bad
line becomes a :class:`RecordIssue` naming ``file:line`` and the reading goes on; a truncated or corrupt
gzip stream ends the file with one issue, after every complete line before it has been yielded.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .records import RawRecord, RecordIssue

GZIP_MAGIC = b"\x1f\x8b"


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


def _authors(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(a).strip() for a in value if isinstance(a, (str, int)) and str(a).strip())
    return ()


def _text_field(obj: dict, key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def parse_line(raw: bytes, where: str) -> RawRecord | RecordIssue | None:
    """One JSON line as a record, an issue, or None for a blank line."""
    if not raw.strip():
        return None
    try:
        obj = json.loads(raw)
    except UnicodeDecodeError as exc:
        return RecordIssue(where, f"not valid UTF-8 (byte {raw[exc.start]:#04x} at column {exc.start + 1})")
    except ValueError as exc:
        return RecordIssue(where, f"invalid JSON: {str(exc)[:80]}")
    if not isinstance(obj, dict):
        return RecordIssue(where, f"not a JSON object (got {type(obj).__name__})")
    url = _text_field(obj, "url").strip()
    if not url:
        return RecordIssue(where, "missing url")
    published = obj.get("published", obj.get("date"))
    return RawRecord(
        where=where,
        url=url,
        title=_text_field(obj, "title"),
        text=_text_field(obj, "text"),
        published=published if isinstance(published, str) else None,
        source=_text_field(obj, "source").strip(),
        authors=_authors(obj.get("authors")),
    )


def read_jsonl(path: Path) -> Iterator[RawRecord | RecordIssue]:
    """Every line of a (possibly gzip-compressed) JSON Lines file, as records or issues."""
    lineno = 0
    try:
        with _open(path) as handle:
            for lineno, raw in enumerate(handle, start=1):
                item = parse_line(raw, f"{path}:{lineno}")
                if item is not None:
                    yield item
    except EOFError:
        yield RecordIssue(f"{path}:{lineno + 1}", f"truncated gzip: the stream ends after line {lineno}")
    except (gzip.BadGzipFile, zlib.error) as exc:
        yield RecordIssue(f"{path}:{lineno + 1}", f"corrupt gzip after line {lineno}: {exc}")
    except OSError as exc:
        yield RecordIssue(str(path), f"cannot read: {exc.strerror or exc}")
