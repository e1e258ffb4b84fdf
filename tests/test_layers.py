"""The shape of the package, held by tests so it does not drift back: every SQL statement in bot/store/,
no face imported below the faces, the pipeline free of SQL, faces and the conversation, no private name
imported across modules, and no import cycle between modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def _modules() -> dict[str, Path]:
    out = {}
    for p in BOT.rglob("*.py"):
        parts = p.relative_to(BOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def _top_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The bot modules a file imports at module level (``from pkg import sub`` counts as ``pkg.sub``)."""
    deps: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
            deps.update(subs if len(subs) == len(node.names) else [node.module])
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names if a.name.startswith("bot"))
    return {d for d in deps if d in modules}


def _all_imports(path: Path) -> list[str]:
    """Every bot module a file names in an import, at any depth (imports inside functions too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
            names.append(node.module)
            names.extend(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names if a.name.startswith("bot"))
    return names


def test_sql_lives_only_in_the_store() -> None:
    sql = re.compile(r"\.execute\(|\.executemany\(|\.query\(|\bselect\b.+\bfrom\b|\binsert into\b|\bdelete from\b", re.I)
    for name, path in _modules().items():
        if name.startswith("bot.store"):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not sql.search(line), f"{path}:{i}: {line.strip()}"


def test_no_face_below_the_faces_and_a_pipeline_without_sql_or_conversation() -> None:
    for name, path in _modules().items():
        imported = _all_imports(path)
        if not name.startswith(("bot.faces", "bot.__main__")):
            assert not [m for m in imported if m.startswith("bot.faces")], name
        if name.startswith("bot.pipeline"):
            below = ("bot.store", "bot.admin", "bot.conversation", "bot.render", "bot.faces")
            assert not [m for m in imported if m.startswith(below)], name


def test_no_private_name_is_imported_across_modules() -> None:
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, f"{path}: from {node.module} import {private}"


def test_no_import_cycle_between_modules() -> None:
    modules = _modules()
    graph = {m: _top_level_imports(p, modules) - {m} for m, p in modules.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in graph[m]:
            assert state.get(d) != 1, " -> ".join([*path[path.index(d):], d]) if d in path else d
            if d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])
