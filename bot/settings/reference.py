"""The settings as people read them, written from their declarations: docs/settings.md's table,
.env.example, and `newsbot config`'s report of the values in effect.

    python -m bot.settings.reference --write   # after changing a declaration
"""

import argparse
import os
import sys
import textwrap
from collections.abc import Mapping

from bot.settings.declared import PROJECT_ROOT, DiscordSettings, LLMSettings
from bot.settings.fields import DeclaredSettings, env_text
from bot.settings.loading import GROUPS

TITLES = {
    LLMSettings: "Language-model answers (NEWSBOT_ANSWER_MODE=openai or llamacpp; see docs/answering.md, Language models)",
    DiscordSettings: "Discord (`newsbot discord`; see docs/discord.md)",
}
ENV_EXAMPLE_HEAD = """\
# newsbot settings. Copy to .env (git-ignored) and uncomment what you change.
# Every value shown is the default. Secrets such as API keys belong only here or in the environment.
# `newsbot config` shows the values in effect and where each came from.
# Offline defaults newsbot sets unless you set them: HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# ORT_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False.
"""
TABLE_START = "<!-- settings table: python -m bot.settings.reference --write -->"
TABLE_END = "<!-- end of settings table -->"
SETTINGS_PAGE = "docs/settings.md"


def readme_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [
        f"| `{item.env}` | {item.shown_default} | {item.summary} |" for group in GROUPS for item in group.declared()
    ]
    return "\n".join(rows)


def env_example() -> str:
    parts = [ENV_EXAMPLE_HEAD]
    for group in GROUPS:
        if group in TITLES:
            parts.append(f"# --- {TITLES[group]} ---\n")
        for item in group.declared():
            comment = textwrap.fill(
                item.help, width=97, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False
            )
            parts.append(f"{comment}\n# {item.env}={item.default}\n")
    return "\n".join(parts)


def page_with_table(page: str) -> str:
    """docs/settings.md with its table written afresh between the markers."""
    before, start, rest = page.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"{SETTINGS_PAGE} lacks the markers {TABLE_START} and {TABLE_END}")
    return f"{before}{TABLE_START}\n{readme_table()}\n{TABLE_END}{after}"


def effective(
    groups: Mapping[type[DeclaredSettings], DeclaredSettings],
    dotenv_names: frozenset[str],
    overridden: frozenset[str] = frozenset(),
) -> list[dict]:
    """Each setting's value in effect, where it came from (default, .env, environment or command
    line), and secrets shown only as set or not."""
    report = []
    for group, values in groups.items():
        for item in group.declared():
            value = getattr(values, item.name)
            text = env_text(value)
            if item.name in overridden:
                origin = "command line"
            elif item.env in dotenv_names:
                origin = ".env"
            elif os.environ.get(item.env, "").strip():
                origin = "environment"
            else:
                origin = "default"
            if item.secret:
                text = "(set, hidden)" if text else ""
            report.append({"variable": item.env, "value": text, "source": origin, "secret": item.secret})
    return report


def render_effective(report: list[dict], value_width: int = 40) -> str:
    """One aligned line per setting: its variable, its value (cut to `value_width`) and its source."""

    def shown(value: str) -> str:
        value = value or "(empty)"
        return value if len(value) <= value_width else value[: value_width - 1] + "…"

    names = max(len(row["variable"]) for row in report)
    values = max(len(shown(row["value"])) for row in report)
    return "\n".join(f"{row['variable']:<{names}}  {shown(row['value']):<{values}}  {row['source']}" for row in report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write docs/settings.md's table and .env.example from the declarations."
    )
    parser.add_argument("--write", action="store_true", help=f"update {SETTINGS_PAGE} and .env.example in place")
    args = parser.parse_args(argv)
    page, example = PROJECT_ROOT / SETTINGS_PAGE, PROJECT_ROOT / ".env.example"
    if not args.write:
        print(readme_table())
        return 0
    page.write_text(page_with_table(page.read_text(encoding="utf-8")), encoding="utf-8")
    example.write_text(env_example(), encoding="utf-8")
    print(f"wrote {page} and {example}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
