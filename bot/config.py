"""Settings from the environment and `.env`, validated once at start-up.

Every setting has the prefix ``NEWSBOT_`` except the token, which also answers to the conventional
``TELEGRAM_BOT_TOKEN``. A missing or invalid setting stops start-up with one line naming the variable
(:func:`load_settings` raises :class:`SettingsError`), never a pydantic traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent
BUNDLED_CORPUS = PACKAGE_ROOT.parent / "corpus"
ENV_PREFIX = "NEWSBOT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable and is safe to print."""


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``: the only form of a database URL that is logged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<an unreadable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")


def _check_database_url(value: object) -> object:
    """Empty means the default SQLite file; otherwise ``sqlite:///PATH`` or a PostgreSQL URL that parses.

    The message never repeats the URL: it may carry a password.
    """
    if not isinstance(value, str):
        return value
    url = value.strip()
    if not url:
        return None
    if not url.startswith(DATABASE_SCHEMES):
        scheme = url.split("://", 1)[0] if "://" in url else ""
        shown = f"the scheme {scheme!r}" if scheme and scheme.isascii() and scheme.isidentifier() else "no scheme"
        raise ValueError(f"{shown} is not supported; use sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DB")
    if url.startswith("sqlite:///"):
        if not url[len("sqlite:///"):]:
            raise ValueError("sqlite:/// needs a file path after it")
        return url
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
        conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - psycopg's message quotes the URL: say what is wrong without it
        raise ValueError("is not a valid PostgreSQL URL (postgresql://USER[:PASSWORD]@HOST[:PORT]/DB)") from None
    if not parts.hostname and "host=" not in (parts.query or ""):
        raise ValueError("names no host (postgresql://USER[:PASSWORD]@HOST[:PORT]/DB)")
    return url


def _split_list(value: object) -> object:
    """Accept comma- or whitespace-separated lists as well as JSON lists from the environment."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part for part in text.replace(",", " ").split() if part]
    return value


class Settings(BaseSettings):
    """All knobs of the bot; see README's settings table and `.env.example`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("NEWSBOT_TOKEN", "TELEGRAM_BOT_TOKEN")
    )
    data_dir: Path = Path("data")
    database_url: str | None = None
    corpus_paths: Annotated[list[str], NoDecode] = Field(default_factory=lambda: [str(BUNDLED_CORPUS)])
    feed_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    watch_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    poll_interval_minutes: float = Field(default=10.0, gt=0)
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    port: int = Field(default=8443, ge=1, le=65535, validation_alias=AliasChoices("NEWSBOT_PORT", "PORT"))
    bot_api_base_url: str = "https://api.telegram.org/bot"
    bot_api_base_file_url: str = "https://api.telegram.org/file/bot"
    #: Redis shared by the replicas for Telegram's rate limits (redis://[:password@]host[:port][/db]);
    #: None: one replica, limits kept in memory
    redis_url: SecretStr | None = None
    search_backend: Literal["index", "rank-bm25"] = "index"
    max_subscriptions_per_chat: int = Field(default=20, ge=1)
    answer_results: int = Field(default=3, ge=1, le=10)
    #: worker processes that answer questions; None = one per CPU, 0 = in the bot process (threads)
    answer_workers: int | None = Field(default=None, ge=0)
    log_level: str = "INFO"
    #: seconds a replica's leases (the leader role, its claims on chats' deliveries) last unrenewed: a dead
    #: leader is replaced, and the pushes it had claimed are taken over, after this
    lease_seconds: float = Field(default=30.0, ge=1.0, le=600.0)

    @field_validator("answer_workers", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        """``NEWSBOT_ANSWER_WORKERS=`` (left empty in .env) means the default, one per CPU."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: object) -> object:
        """A level :mod:`logging` knows by name, any case; ``LOUD`` stops start-up instead of logging at INFO."""
        if isinstance(value, str):
            level = value.strip().upper() or "INFO"
            if level not in LOG_LEVELS:
                raise ValueError(f"{value.strip()!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
            return level
        return value

    @field_validator("redis_url", mode="after")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        """A URL redis-py can connect with; the message never repeats it (it may hold a password)."""
        text = value.get_secret_value().strip() if value is not None else ""
        if not text:
            return None
        if not redis_url_ok(text):
            raise ValueError(
                "not a Redis URL: use redis://[:password@]host[:port][/db], rediss://... or unix:///path"
            )
        return SecretStr(text)

    _database_url = field_validator("database_url", mode="before")(_check_database_url)

    _split = field_validator("corpus_paths", "feed_urls", "watch_dirs", "admin_user_ids", mode="before")(
        _split_list
    )

    @property
    def uses_postgres(self) -> bool:
        """Whether ``database_url`` names a PostgreSQL server (otherwise the store is an SQLite file)."""
        return bool(self.database_url) and not self.database_url.startswith("sqlite:///")  # type: ignore[union-attr]

    @property
    def database_path(self) -> Path:
        """The SQLite file behind ``database_url`` (``sqlite:///path``), by default in the data directory.

        With PostgreSQL it is the file's default place, where nothing is written (see :attr:`database`).
        """
        if not self.database_url or self.uses_postgres:
            return self.data_dir / "newsbot.sqlite3"
        return Path(self.database_url[len("sqlite:///") :])

    @property
    def database(self) -> Path | str:
        """What :class:`bot.store.Store` opens: the PostgreSQL URL, or the SQLite file."""
        return self.database_url if self.uses_postgres else self.database_path  # type: ignore[return-value]

    @property
    def database_label(self) -> str:
        """Where the store is, safe to print: the SQLite path, or the URL with its password as ``***``."""
        return redact_url(self.database_url) if self.uses_postgres else str(self.database_path)  # type: ignore[arg-type]

    @property
    def index_dir(self) -> Path:
        """Where the search index lives."""
        return self.data_dir / "index"

    def require_token(self) -> str:
        """The bot token, or a SettingsError naming the variable when it is missing."""
        if self.token is None or not self.token.get_secret_value().strip():
            raise SettingsError(
                "NEWSBOT_TOKEN is not set: put the token from @BotFather in the environment or in .env"
            )
        return self.token.get_secret_value().strip()


def redis_url_ok(url: str) -> bool:
    """Whether ``url`` is a Redis URL with a valid host, port and database number."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme == "unix":
        return bool(parts.path)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        return False
    db = parts.path.strip("/")
    return (port is None or port > 0) and (not db or db.isdigit())


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's validation errors into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first.get("loc") else "?"
        if not name.startswith(ENV_PREFIX) and name not in {"TELEGRAM_BOT_TOKEN", "PORT"}:
            name = ENV_PREFIX + name
        message = str(first["msg"]).removeprefix("Value error, ")  # pydantic's prefix for our own checks
        raise SettingsError(f"{name}: {message}") from None
