"""Removing site boilerplate (subscribe prompts, ads, share and cookie lines) from article text.

The rules are data, in boilerplate.toml beside this module. Lines are kept or dropped whole and
never rewritten, so every sentence that survives is verbatim in the original article.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RULES_FILE = Path(__file__).with_name("boilerplate.toml")


@dataclass(frozen=True)
class BoilerplateRules:
    cut_from: tuple[re.Pattern, ...]
    drop: tuple[re.Pattern, ...]
    max_line_chars: int
    min_share_before_cut: float


@cache
def load_rules(path: Path = RULES_FILE) -> BoilerplateRules:
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def compile_all(patterns):
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)

    return BoilerplateRules(
        cut_from=compile_all(data.get("cut_from", [])),
        drop=compile_all(data.get("drop", [])),
        max_line_chars=int(data.get("max_line_chars", 200)),
        min_share_before_cut=float(data.get("min_share_before_cut", 0.4)),
    )


def clean_text(text: str, rules: BoilerplateRules | None = None) -> str:
    """The article text without boilerplate lines, with runs of blank lines collapsed."""
    rules = rules or load_rules()
    total = max(len(text), 1)
    kept: list[str] = []
    seen = 0
    for line in text.splitlines():
        seen += len(line) + 1
        stripped = line.strip()
        if stripped and len(stripped) <= rules.max_line_chars:
            if any(p.fullmatch(stripped) for p in rules.cut_from):
                if (seen - len(line)) / total >= rules.min_share_before_cut:
                    break
                continue
            if any(p.fullmatch(stripped) for p in rules.drop):
                continue
        kept.append(line.rstrip())
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept))
    return cleaned.strip()
