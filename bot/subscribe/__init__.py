"""Subscriptions without Telegram: topic parsing/matching and planning which new articles go where."""
