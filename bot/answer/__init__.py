"""From a question to quoted passages: parsing, news-aware ranking, quoting and rendering (no Telegram here)."""
