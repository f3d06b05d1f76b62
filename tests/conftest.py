"""Project-wide pytest setup: load the local Telegram Bot API server fixtures."""

pytest_plugins = ["tests.botapi.fixtures"]
