"""Subscriptions without Telegram: the commands' rules, topics, delivery planning, the delivery queue, digests.

- :mod:`bot.subscribe.manage` — what /subscribe, /unsubscribe and /subscriptions do (the per-chat limit,
  one/the only one/all, a listing with its pauses).
- :mod:`bot.subscribe.chats` — the chats and forum topics served: registered on subscribing, paused and
  resumed with the bot's rights, moved to a supergroup's id, topic renames, the stored chat type.
- :mod:`bot.subscribe.paging` — the queries behind paging buttons, remembered per chat.
- :mod:`bot.subscribe.topics` — a subscription's topic: parsing and matching an article.
- :mod:`bot.subscribe.planner` — which new articles go to which chats (the only writer of the delivery
  queue), and how a chat's queue becomes cards or digests (``batches_for``).
- :mod:`bot.subscribe.outbox` — the delivery queue and log as the push sender sees them (at most once).
- :mod:`bot.subscribe.digest` — ``/digest`` schedules: parsing, when one is due, what it holds;
  :mod:`bot.subscribe.digest_settings` (a place's setting and time zone) and
  :mod:`bot.subscribe.digest_runs` (claiming a due digest, recording how its send ended).
- :mod:`bot.subscribe.budget` — the sending budget (rate limits of the whole bot), in this process;
  :mod:`bot.subscribe.budget_redis` — the same shared by the replicas through Redis.

May import :mod:`bot.store`, :mod:`bot.stories`, :mod:`bot.search` (the analyzer) and
:mod:`bot.models`; never ``telegram``, :mod:`bot.chat` or :mod:`bot.cli`. Telegram handlers call these
functions instead of the store.
"""
