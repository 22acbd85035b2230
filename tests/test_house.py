"""The layout's rules, read from the source: index/ never imports bot/, no module-level import
cycles, and importing newsbot changes nothing in the environment."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("index", "bot")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def sources() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def test_index_never_imports_bot():
    offenders = sorted(
        name
        for name, path in sources().items()
        if name.startswith("index") and any(imported.split(".")[0] == "bot" for imported in imports(path, False))
    )
    assert offenders == []


def test_no_module_level_import_cycles():
    modules = sources()
    graph = {
        name: {imported for imported in imports(path, True) if imported in modules and imported != name}
        for name, path in modules.items()
    }
    # A package's __init__ imported on the way to its modules is not an edge of its own.
    cycles, state = [], {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target) :] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_importing_newsbot_leaves_the_environment_alone():
    script = (
        "import os; before = dict(os.environ); "
        "import index, index.offline, bot.pipeline, bot.cli, bot.settings; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
