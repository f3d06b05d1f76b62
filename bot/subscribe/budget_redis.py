"""The sending budget shared by every replica through Redis, and its safe fallback when Redis is away.

Each reservation is one ``EVALSHA`` of :data:`RESERVE`, the Lua twin of :func:`bot.subscribe.budget.gcra_slot`:
it reads the clock of Redis (one clock for all replicas), the pauses, the chat's and the overall bucket,
and takes the slot atomically. A pause (:data:`PAUSE`) is a key that expires with it. Every reservation,
and a heartbeat every :data:`BEAT_EVERY` seconds (for a replica that sends nothing for a while), refreshes
this replica in a set of live replicas, which says how many replicas share the budget.

Redis unreachable at run time (refused, timed out, restarting): the replica logs one line and falls
back to a :class:`LocalBudget` holding 1/N of every rate, N being the most replicas Redis counted since this one
started (at least :data:`MIN_SHARE`, for replicas that start while Redis is away and never saw the others), so the replicas together send slower, never faster. It probes Redis every
:data:`PROBE_EVERY` seconds in the background (no message waits for a probe) and, when Redis answers,
logs one line and shares the budget again.

Redis's URL may hold a password: only :func:`describe` (scheme, host, port, database) is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.retry import Retry

from .budget import ESCALATE_WITHIN, Lane, Limits, LocalBudget, Rate, Scope, Slot

log = logging.getLogger(__name__)

#: The replicas' share when Redis is away is 1/N of the budget with N at least this (the drill's replicas).
MIN_SHARE = 3
#: Seconds between heartbeats of a replica in the set of live replicas.
BEAT_EVERY = 10.0
#: Seconds between probes of an unreachable Redis.
PROBE_EVERY = 1.0
#: Seconds a Redis command may take before the replica falls back (a reservation must not hang).
TIMEOUT = 1.0
#: Redis commands of one replica at once: a burst of messages queues here (each call takes well under a
#: millisecond in Redis) instead of opening a connection each, which timed out on a loaded machine.
CONNECTIONS = 4
#: A replica that reserved nothing for this long is no longer counted as sharing the budget.
REPLICA_TTL = 30.0
_US = 1_000_000

#: KEYS: overall tat, chat tat, pause of all, pause of the chat, live replicas.
#: ARGV: overall interval and tolerance (µs; interval 0: no overall bucket), the chat's likewise, replica id,
#: replica ttl (µs). Returns {taken 0/1, wait µs, live replicas}.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function fmt(x) return string.format('%.0f', x) end
redis.call('ZADD', KEYS[5], fmt(now), ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', fmt(now - tonumber(ARGV[6])))
redis.call('PEXPIRE', KEYS[5], math.ceil(tonumber(ARGV[6]) / 1000))
local replicas = redis.call('ZCARD', KEYS[5])
local paused = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'), tonumber(redis.call('GET', KEYS[4]) or '0'))
if paused > now then return {0, math.ceil(paused - now), replicas} end
local oi, ot, ci, ct = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local chat = 0
if ci > 0 then
  chat = tonumber(redis.call('GET', KEYS[2]) or '0')
  if chat - ct > now then return {0, math.ceil(chat - ct - now), replicas} end
end
local at = now
if oi > 0 then
  local overall = tonumber(redis.call('GET', KEYS[1]) or '0')
  at = math.max(now, overall - ot)
  local tat = math.max(overall, at) + oi
  redis.call('SET', KEYS[1], fmt(tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end
if ci > 0 then
  local tat = math.max(chat, at) + ci
  redis.call('SET', KEYS[2], fmt(tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end
return {1, math.ceil(at - now), replicas}
"""

#: KEYS: live replicas. ARGV: replica id, replica ttl (µs). Returns the live replicas.
HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) / 1000))
return redis.call('ZCARD', KEYS[1])
"""

#: KEYS: pause of all, pause of the chat, last refusal. ARGV: seconds (µs), chat key ('' = none),
#: escalation window (µs). Returns 'all' or 'chat'.
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local span = tonumber(ARGV[1])
local function hold(key)
  local current = tonumber(redis.call('GET', key) or '0')
  if now + span > current then
    redis.call('SET', key, string.format('%.0f', now + span), 'PX', math.ceil(span / 1000) + 1)
  end
end
if ARGV[2] == '' then hold(KEYS[1]) return 'all' end
hold(KEYS[2])
local last = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[3], ARGV[2], 'PX', math.ceil(tonumber(ARGV[3]) / 1000))
if last and last ~= ARGV[2] then hold(KEYS[1]) return 'all' end
return 'chat'
"""


class WrongRedisUrl(Exception):
    """Redis refuses the URL itself (unknown host, password, database): waiting will not help. The message
    names ``NEWSBOT_REDIS_URL`` and never holds the password."""


def describe(url: str) -> str:
    """The URL without its user name and password: what may appear in a log line."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def connect(url: str, timeout: float = TIMEOUT) -> Redis:
    """A client that fails fast (no retries of its own: the budget falls back instead)."""
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        max_connections=CONNECTIONS + 1,  # and one for a probe
    )


async def check(url: str, timeout: float = 2.0) -> str | None:
    """At start-up: raise :class:`WrongRedisUrl` when Redis refuses the URL itself (password, database);
    the reason when it cannot be reached now (the bot then starts on the fallback); None when it answers.

    A host name that does not exist is a wrong URL; a refused or silent port is Redis being away."""
    host = urlsplit(url).hostname
    if host and urlsplit(url).scheme != "unix":
        try:
            await asyncio.get_running_loop().getaddrinfo(host, None)
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_NONAME:
                raise WrongRedisUrl(f"NEWSBOT_REDIS_URL: the host {host!r} does not exist") from None
    client = connect(url, timeout)
    try:
        await client.ping()
    except AuthenticationError:
        raise WrongRedisUrl("NEWSBOT_REDIS_URL: Redis refused the user name or password") from None
    except ResponseError as exc:  # a database index out of range, AUTH without a password set, ...
        reason = str(exc).split(".")[0].replace("<password>", "a password")
        raise WrongRedisUrl(f"NEWSBOT_REDIS_URL: Redis refused the connection ({reason})") from None
    except (RedisError, OSError) as exc:
        return str(exc) or type(exc).__name__
    finally:
        await client.aclose()
    return None


class RedisBudget:
    """:class:`bot.subscribe.budget.SendBudget` shared through Redis under keys starting with ``prefix``."""

    def __init__(
        self,
        url: str,
        limits: Limits,
        *,
        prefix: str = "newsbot:budget:",
        timeout: float = TIMEOUT,
        probe_every: float = PROBE_EVERY,
    ) -> None:
        self.limits = limits
        self.where = describe(url)
        self._url, self._prefix, self._timeout, self._probe_every = url, prefix, timeout, probe_every
        self._id = uuid.uuid4().hex
        self._client: Redis | None = None
        self._scripts: dict[str, Any] = {}
        self.replicas = 1  # live replicas last counted in Redis (this one included)
        self.most_replicas = 1  # the most counted since start
        self._beat: asyncio.Task[None] | None = None
        self.fallback: LocalBudget | None = None  # set while Redis is unreachable
        self._next_probe = 0.0
        self._probe: asyncio.Task[None] | None = None
        self._calls = asyncio.Semaphore(CONNECTIONS)

    async def start(self) -> None:
        """Connect; an unreachable Redis starts the replica on the fallback."""
        self._client = connect(self._url, self._timeout)
        self._scripts = {
            "reserve": self._client.register_script(RESERVE),
            "pause": self._client.register_script(PAUSE),
            "heartbeat": self._client.register_script(HEARTBEAT),
        }
        try:
            await self._heartbeat()
        except (RedisError, OSError) as exc:
            self._fall_back(exc)
        self._beat = asyncio.get_running_loop().create_task(self._beating())

    async def _heartbeat(self) -> None:
        """Say this replica is live; learn how many are."""
        keys, args = [self._key("replicas")], [self._id, int(REPLICA_TTL * _US)]
        async with self._calls:
            self._counted(await self._scripts["heartbeat"](keys=keys, args=args))

    async def _beating(self) -> None:
        """A heartbeat every :data:`BEAT_EVERY` seconds while Redis is reachable (the probe covers the rest)."""
        while True:
            await asyncio.sleep(BEAT_EVERY)
            if self.fallback is None:
                with contextlib.suppress(RedisError, OSError):
                    await self._heartbeat()

    def _counted(self, replicas: object) -> None:
        self.replicas = int(replicas)  # type: ignore[call-overload]
        self.most_replicas = max(self.most_replicas, self.replicas)

    async def close(self) -> None:
        """Stop probing and close the connections."""
        for task in (self._probe, self._beat):
            if task is not None:
                task.cancel()
        if self._client is not None:
            await self._client.aclose()

    async def reserve(self, lane: Lane) -> Slot:
        """See :meth:`bot.subscribe.budget.SendBudget.reserve`."""
        if self._client is None:
            await self.start()
        if self.fallback is None:
            rate = self.limits.group if lane.group else self.limits.private
            keys = [self._key("overall"), self._key("chat", lane.key), self._key("pause"),
                    self._key("pause", lane.key), self._key("replicas")]  # fmt: skip
            args = [*_micros(self.limits.overall), *_micros(rate), self._id, int(REPLICA_TTL * _US)]
            try:
                async with self._calls:
                    taken, wait, replicas = await self._scripts["reserve"](keys=keys, args=args)
            except (RedisError, OSError) as exc:
                self._fall_back(exc)
            else:
                self._counted(replicas)
                return Slot(int(wait) / _US, bool(taken))
        assert self.fallback is not None
        self._maybe_probe()
        return self.fallback.reserve_now(lane)

    async def pause(self, lane: Lane | None, seconds: float) -> Scope:
        """See :meth:`bot.subscribe.budget.SendBudget.pause`."""
        if self.fallback is None and self._client is not None:
            keys = [self._key("pause"), self._key("pause", lane.key if lane else ""), self._key("refused")]
            args = [int(seconds * _US), lane.key if lane else "", int(ESCALATE_WITHIN * _US)]
            try:
                async with self._calls:
                    scope = await self._scripts["pause"](keys=keys, args=args)
            except (RedisError, OSError) as exc:
                self._fall_back(exc)
            else:
                return "all" if scope in (b"all", "all") else "chat"
        assert self.fallback is not None
        return self.fallback.pause_now(lane, seconds)

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _fall_back(self, exc: BaseException) -> None:
        """Redis is away: this replica's share of the budget, in this process, until a probe gets through.
        (Calls already on their way fail too: the first one falls back and says so.)"""
        if self.fallback is not None:
            return
        share = max(self.most_replicas, MIN_SHARE)
        self.fallback = LocalBudget(self.limits.share(share))
        self._next_probe = time.monotonic() + self._probe_every
        log.warning(
            "Redis at %s unreachable (%s): sending at 1/%d of the shared budget from this replica until it "
            "is back", self.where, _reason(exc), share,
        )  # fmt: skip

    def _maybe_probe(self) -> None:
        """Start a background probe of Redis when one is due."""
        if time.monotonic() < self._next_probe or (self._probe is not None and not self._probe.done()):
            return
        self._next_probe = time.monotonic() + self._probe_every
        self._probe = asyncio.get_running_loop().create_task(self._try_redis())

    async def _try_redis(self) -> None:
        """Back to the shared budget when Redis answers."""
        assert self._client is not None
        try:
            await self._client.connection_pool.disconnect()  # connections from before are dead
            await self._client.ping()
        except (RedisError, OSError):
            return
        self.fallback = None
        log.warning("Redis at %s is back: sharing the budget with the other replicas again", self.where)


def _micros(rate: Rate | None) -> tuple[int, int]:
    """A bucket as the script takes it: interval and tolerance in µs; (0, 0) for none."""
    if rate is None:
        return 0, 0
    return round(rate.interval * _US), round(rate.tolerance * _US)


def _reason(exc: BaseException) -> str:
    """An error's first line, short (redis-py names host and port, never the password)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 160 else text[:159] + "…"
