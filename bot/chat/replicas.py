"""What running several replicas needs in the Telegram layer: the leader, and webhook acknowledgements.

**The leader.** Every replica answers the updates it receives and sends queued pushes (each claimed by
one replica under a lease, see docs/delivery.md); feed polling, delivery planning and the daily jobs run
only where :func:`leader_of` says so (the store's leader lease, :class:`bot.leader.Leadership`; a
single polling bot is always the leader). :func:`leader_only` wraps such a job.

**Webhook acknowledgements.** An update is acknowledged only after the bot has handled it.

PTB's webhook server answers Telegram ``200 OK`` as soon as an update is queued. Behind a load balancer
with several replicas that loses the question a replica had accepted when it dies (``kill -9``, a
crashed machine): Telegram saw the 200 and never sends it again. Here the webhook request waits until the
application has run its handlers for the update (the reply is sent), so a replica that dies first leaves
the request unanswered and Telegram re-delivers the update, through the balancer, to another replica.
The cost is that a replica that replied and died before its ``200`` left may see the question answered
twice; replies are at least once anyway (see :mod:`bot.chat.ratelimit`).

Only the webhook's puts wait (:attr:`HandledQueue.wait_for_handling`); long polling keeps PTB's queue
behaviour, and a handler slower than :data:`HANDLING_TIMEOUT` is acknowledged anyway (the update is still
being handled; a re-delivery would answer it twice).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.leader import AlwaysLeader, Leader

log = logging.getLogger(__name__)

LEADER_KEY = "newsbot.leader"
Job = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def leader_of(
    context: ContextTypes.DEFAULT_TYPE | Application[Any, Any, Any, Any, Any, Any],
) -> Leader:
    """This process's leadership (always the leader unless the application was built with a lease)."""
    app = context if isinstance(context, Application) else context.application
    return app.bot_data.get(LEADER_KEY) or ALWAYS


def leader_only(job: Job) -> Job:
    """The job, run only while this replica is the leader (the others skip each run)."""

    @functools.wraps(job)
    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        if leader_of(context).is_leader:
            await job(context)

    return run


ALWAYS = AlwaysLeader()

HANDLING_TIMEOUT = 50.0  # seconds; Telegram gives up on a webhook request after about a minute


class HandledQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The application's update queue; with ``wait_for_handling``, ``put`` returns once it was handled."""

    def __init__(self) -> None:
        super().__init__()
        self.wait_for_handling = False
        self._waiting: dict[int, asyncio.Future[None]] = {}

    async def put(self, item: Any) -> None:
        if not self.wait_for_handling or not isinstance(item, Update):
            await super().put(item)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[id(item)] = done
        try:
            await super().put(item)
            await asyncio.wait_for(asyncio.shield(done), HANDLING_TIMEOUT)
        except TimeoutError:
            log.warning(
                "update %s still being handled after %.0f s; acknowledged", item.update_id, HANDLING_TIMEOUT
            )
        finally:
            self._waiting.pop(id(item), None)

    def handled(self, item: object) -> None:
        """The application finished with ``item``: its webhook request may now be answered."""
        done = self._waiting.get(id(item))
        if done is not None and not done.done():
            done.set_result(None)


class HandledApplication(Application[Any, Any, Any, Any, Any, Any]):
    """An Application that tells its :class:`HandledQueue` when an update's handlers have all run."""

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            queue = self.update_queue
            if isinstance(queue, HandledQueue):
                queue.handled(update)
