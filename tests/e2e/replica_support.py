"""Webhook replicas of the bot as real processes (``python -m bot run --webhook``) behind the local Bot API
server's round-robin balancer: started, killed with SIGKILL, restarted; their logs in files."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.botapi import BotApiServer
from tests.e2e.test_bot_run import clean_env

BALANCER = "http://127.0.0.1:9/hook"  # what every replica gives setWebhook; the server balances instead


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass
class Replica:
    """One `python -m bot run --webhook` process and where it listens and logs."""

    port: int
    log: Path
    proc: asyncio.subprocess.Process | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = Path(".")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def start(self, cwd: Path) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--webhook", cwd=cwd, env=self.env,
                stdout=out, stderr=out,
            )  # fmt: skip

    async def listening(self, timeout: float = 90) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            assert self.alive, f"replica on port {self.port} exited:\n{self.text()[-3000:]}"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            writer.close()
            return
        raise AssertionError(f"replica on port {self.port} not listening after {timeout} s:\n{self.text()[-3000:]}")

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, like a lost machine."""
        if self.alive:
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()

    async def terminate(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                await self.kill()


def replica_env(botapi: BotApiServer, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    return clean_env(
        NEWSBOT_TOKEN=botapi.token, NEWSBOT_BOT_API_BASE_URL=botapi.base_url,
        NEWSBOT_BOT_API_BASE_FILE_URL=botapi.base_file_url, NEWSBOT_DATA_DIR=str(data_dir),
        NEWSBOT_CORPUS_PATHS="[]", NEWSBOT_ANSWER_WORKERS="0", NEWSBOT_WEBHOOK_URL=BALANCER,
        NEWSBOT_WEBHOOK_LISTEN="127.0.0.1", NEWSBOT_PORT=str(port), **extra,
    )  # fmt: skip


async def start_replicas(
    botapi: BotApiServer, data_dir: Path, logs: Path, n: int, *, separate_data_dirs: bool = False, **extra: str
) -> list[Replica]:
    """``n`` replicas on one store, listening, with the server balancing updates over them.

    ``separate_data_dirs``: each replica gets ``data_dir-<port>`` for its index, as on machines of their
    own (then ``extra`` must name the shared store in ``NEWSBOT_DATABASE_URL``)."""
    replicas = []
    for port in free_ports(n):
        replica = Replica(port, logs / f"replica-{port}.log")
        own = data_dir.with_name(f"{data_dir.name}-{port}") if separate_data_dirs else data_dir
        own.mkdir(parents=True, exist_ok=True)
        replica.env = replica_env(botapi, own, port, **extra)
        replica.cwd = own
        replicas.append(replica)
    botapi.webhook.balance([r.url for r in replicas])
    await asyncio.gather(*(r.start(r.cwd) for r in replicas))
    await asyncio.gather(*(r.listening() for r in replicas))
    return replicas
