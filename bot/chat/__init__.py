"""The Telegram layer, and only that: python-telegram-bot handlers, jobs and wiring.

- :mod:`bot.chat.app` — the one wiring module: ``build_application`` (token, defaults, rate limiter,
  handlers, jobs, command menus).
- :mod:`bot.chat.bootstrap` — waiting for the Bot API at start-up.
- One module per feature, thin handlers over Telegram-free code: :mod:`~bot.chat.ask`,
  :mod:`~bot.chat.latest`, :mod:`~bot.chat.inline`, :mod:`~bot.chat.help`, :mod:`~bot.chat.subscriptions`,
  :mod:`~bot.chat.digests`, :mod:`~bot.chat.membership`, :mod:`~bot.chat.guard`.
- :mod:`bot.chat.delivery` — the push jobs (they call :mod:`bot.heartbeat`) and the sender (at most once).
- :mod:`bot.chat.workers` — answers in worker processes (their services from :func:`bot.services.open_services`).
- What the handlers share: :mod:`bot.chat.context` (the typed custom context: ``context.services``,
  ``.options``, ``.workers``; ``BotOptions``), :mod:`bot.chat.commands` (command parsing),
  :mod:`bot.chat.permissions` (who may manage a chat: ``may_manage``, the one rule; whether the bot can
  post), :mod:`bot.chat.paging` (paging buttons' callback data).
- :mod:`bot.chat.ratelimit`, :mod:`bot.chat.errors`, :mod:`bot.chat.logging` — Telegram's limits, the
  error handler, a log that never shows the token.

May import ``telegram``, :mod:`bot.answer`, :mod:`bot.subscribe`, :mod:`bot.stories`,
:mod:`bot.heartbeat`, :mod:`bot.services`, :mod:`bot.config` and :mod:`bot.models`; never
:mod:`bot.store` or :mod:`bot.ingest` (the store is reached through the Telegram-free functions of
:mod:`bot.subscribe`, feeds through :mod:`bot.heartbeat`), and nothing below imports this package.
"""
