"""Offline defaults for the libraries newsbot runs, set by each entry point before any model loads."""

import os

# Nothing may download at run time, and a hub lookup without these hangs for over a minute.
OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


def configure_offline() -> None:
    """Set the offline defaults, keeping any the user set: one who wants the hub can say so."""
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)
