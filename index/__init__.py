"""What newsbot knows: articles read, cleaned, chunked, embedded, stored in Chroma and searched."""

import os

# Nothing may download at run time, and a hub lookup without these hangs for over a minute.
# setdefault, so a user who wants the hub can still say so in the environment.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)
