"""HTTP for ingestion: timeouts, a user agent, a size cap and conditional GET.

Every failure (timeout, refused connection, HTTP error status, oversized body) becomes a
:class:`FetchError` with a one-line reason, which the pipeline reports per URL; nothing here raises
anything else, so one dead feed never stops an ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import httpx

USER_AGENT = "newsbot-ingest/0.1 (news question-answering bot; conditional GET)"
DEFAULT_TIMEOUT = 15.0
MAX_BYTES = 10 * 1024 * 1024
"""Feeds and article pages are far smaller; a bigger body is a misconfigured URL."""


class FetchError(Exception):
    """A URL could not be fetched; ``str(exc)`` is the reason, safe to show.

    ``unreachable``: the host did not answer at all (timeout, refused, no route, DNS), so other pages of
    the same host will not load either in this run; an HTTP error status is about one page only.
    """

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


@dataclass(frozen=True, slots=True)
class Response:
    """What a GET returned (after redirects)."""

    url: str
    status: int
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """The server answered 304 to a conditional GET: nothing new."""
        return self.status == 304


class Fetcher:
    """A small synchronous HTTP client for feeds and article pages."""

    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = USER_AGENT,
        max_bytes: int = MAX_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            max_redirects=5,
            transport=transport,
        )

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET ``url``, conditionally when validators are given; 200 and 304 return, the rest raise."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self._client.stream("GET", url, headers=headers) as reply:
                if reply.status_code == 304:
                    return self._response(reply, b"")
                if reply.status_code >= 400:
                    raise FetchError(f"HTTP {reply.status_code} {reply.reason_phrase}".strip())
                return self._response(reply, self._read_capped(reply))
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g} s", unreachable=True) from None
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {type(exc).__name__}: {exc}"[:200],
                             unreachable=isinstance(exc, httpx.TransportError)) from None  # fmt: skip

    def _read_capped(self, reply: httpx.Response) -> bytes:
        chunks = []
        size = 0
        for chunk in reply.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"response larger than {self.max_bytes // (1024 * 1024)} MB")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _response(reply: httpx.Response, content: bytes) -> Response:
        return Response(
            url=str(reply.url),
            status=reply.status_code,
            content=content,
            content_type=reply.headers.get("content-type", "").split(";")[0].strip().lower(),
            etag=reply.headers.get("etag"),
            last_modified=reply.headers.get("last-modified"),
        )

    def close(self) -> None:
        """Release connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
