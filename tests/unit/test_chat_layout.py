"""#17 item 3 on the source (read as text, nothing imported): the Telegram layer's handlers reach chats'
subscriptions only through bot.subscribe, and the rule for who may manage a chat is one function, defined in
one module and called from one other."""

from __future__ import annotations

import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
CHAT = sorted((BOT / "chat").glob("*.py"))


def test_no_handler_calls_the_store() -> None:
    """``store.<repo>`` reads and writes live in bot/subscribe (and bot/heartbeat), never in bot/chat."""
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in CHAT
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bstore\.[a-z_]+", line) and not line.lstrip().startswith(("#", '"', "'", ":"))
    ]
    assert not found, "\n".join(found)


def test_one_permission_rule_defined_once_called_from_one_module() -> None:
    sources = {p: p.read_text() for p in BOT.rglob("*.py")}
    defined = [p.name for p, text in sources.items() if re.search(r"^async def may_manage\(", text, re.MULTILINE)]
    callers = [p.name for p, text in sources.items() if re.search(r"await may_manage\(", text)]
    assert defined == ["permissions.py"] and callers == ["subscriptions.py"]
    gone = ("is_chat_admin", "user_is_admin")
    assert not [p.name for p, text in sources.items() if any(f"def {name}(" in text for name in gone)]
    assert not (BOT / "chat" / "common.py").exists()
