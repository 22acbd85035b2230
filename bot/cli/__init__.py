"""The `newsbot` command: index, watch, follow, ask, repl, stats, stories, brief, discord, eval,
feedback and config.

Only the standard library and settings are imported at start-up; the pipeline (the embedding
runtime, Chroma, and llama-index for indexing) loads inside the commands, so --help and
configuration errors answer at once.
"""

from bot.cli.main import main

__all__ = ["main"]
