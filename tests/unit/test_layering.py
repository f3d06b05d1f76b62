"""The package layout's rules, checked on the source (ast and text, nothing imported): file sizes, private
names, the answer layer's types, where SQL lives, what the Telegram layer may import and that nothing
below it imports Telegram. ``bot/__init__.py`` draws the layers; ``docs/layout.md`` says where things are.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
MAX_LINES = 600
#: Packages above the Telegram line: the Telegram layer itself and the command line that starts it.
TELEGRAM_LAYERS = ("bot.chat", "bot.cli")
#: What a statement of SQL starts with, in a string of its own (``"SELECT ..."``, ``'''INSERT INTO ...'''``).
SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|"
    r"UNIQUE\s+INDEX|TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w|BEGIN(\s+IMMEDIATE)?\s*;?$)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Import:
    """One imported module (absolute), the name taken from it (None for ``import x``) and its line."""

    module: str
    name: str | None
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def bot_files() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@cache
def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports_of(path: Path) -> list[Import]:
    """Every import of a file, relative ones made absolute, wherever it stands (``TYPE_CHECKING`` too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree_of(path)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
    return found


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_rules_see_the_package() -> None:
    """The checks below read real files (a moved tree would make them pass vacuously)."""
    names = {module_name(p) for p in bot_files()}
    assert {"bot.chat.app", "bot.store", "bot.answer.pipeline", "bot.services"} <= names
    assert any(i.module == "telegram" or is_within(i.module, "telegram") for i in imports_of(BOT / "chat" / "app.py"))


def test_no_file_in_bot_is_over_600_lines() -> None:
    long = {rel(p): n for p in bot_files() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these (at most {MAX_LINES} lines a file): {long}"


def test_no_module_imports_another_modules_private_name() -> None:
    """``from x import _name`` and ``module._name`` of an imported module reach into another module's
    insides; what is shared gets a public name (dunder names such as ``__version__`` are public)."""
    bot_modules = {module_name(p) for p in bot_files()}
    found = []
    for path in bot_files():
        modules: dict[str, str] = {}  # local name -> the bot module it is bound to
        for imp in imports_of(path):
            if imp.name is not None and _private(imp.name):
                found.append(f"{rel(path)}:{imp.line} from {imp.module} import {imp.name}")
            if imp.name is None and _private(imp.module.rpartition(".")[2]):
                found.append(f"{rel(path)}:{imp.line} import {imp.module}")
            if imp.name is not None and f"{imp.module}.{imp.name}" in bot_modules:
                modules[imp.name] = f"{imp.module}.{imp.name}"
        for node in ast.walk(tree_of(path)):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:  # ``from bot.search import index as idx``
                    if alias.asname and alias.name in modules:
                        modules[alias.asname] = modules[alias.name]
        for node in ast.walk(tree_of(path)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and _private(node.attr)
            ):
                found.append(f"{rel(path)}:{node.lineno} {modules[node.value.id]}.{node.attr}")
    assert not found, "private names used across modules:\n" + "\n".join(found)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_type_ignore_in_the_answer_layer() -> None:
    found = [
        f"{rel(p)}:{n}"
        for p in sorted((BOT / "answer").rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "type: ignore" in line
    ]
    assert not found, f"bot/answer takes typed protocols; no type: ignore: {found}"


def test_no_sql_outside_the_store() -> None:
    """No SQL statement in a string, and no ``execute`` call, anywhere in bot/ but bot/store/."""
    found = []
    for path in bot_files():
        if is_within(module_name(path), "bot.store"):
            continue
        for node in ast.walk(tree_of(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                found.append(f"{rel(path)}:{node.lineno} {node.value.strip()[:60]!r}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute", "executemany", "executescript"}
            ):
                found.append(f"{rel(path)}:{node.lineno} .{node.func.attr}(...)")
    assert not found, "SQL belongs in bot/store:\n" + "\n".join(found)


def test_the_sql_pattern_knows_sql_from_prose() -> None:
    assert SQL.match("SELECT id FROM articles WHERE seq > ?")
    assert SQL.match("\n    INSERT OR IGNORE INTO deliveries (chat_id) VALUES (?)")
    assert SQL.match("UPDATE deliveries SET status = 'sent'")
    assert not SQL.match("Select the newest articles from the store")
    assert not SQL.match("update the index")


CHAT_MODULES = sorted((BOT / "chat").rglob("*.py"))


@pytest.mark.parametrize("path", CHAT_MODULES, ids=lambda p: p.name)
def test_the_telegram_layer_imports_neither_the_store_nor_ingest(path: Path) -> None:
    """bot/chat reaches the store through bot.subscribe's functions and feeds through bot.heartbeat."""
    found = [
        f"{rel(path)}:{i.line} {i.module}"
        for i in imports_of(path)
        if is_within(i.module, "bot.store") or is_within(i.module, "bot.ingest")
        or (i.module == "bot" and i.name in {"store", "ingest"})
    ]  # fmt: skip
    assert not found, found


def test_nothing_below_the_telegram_layer_imports_telegram() -> None:
    found = [
        f"{rel(path)}:{i.line} {i.module}"
        for path in bot_files()
        if not any(is_within(module_name(path), layer) for layer in TELEGRAM_LAYERS)
        for i in imports_of(path)
        if is_within(i.module, "telegram") or is_within(i.module, "bot.chat")
    ]
    assert not found, "only bot/chat (and bot/cli, which starts it) may import telegram or bot.chat:\n" + "\n".join(
        found
    )
