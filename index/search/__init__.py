"""Searching: each reader's SQLite catalog of the index, and the hybrid, time-aware search over it."""
