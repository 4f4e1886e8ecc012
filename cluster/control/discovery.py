"""Which files of a DAGs folder are DAG files, decided as Airflow decides.

Safe mode (on by default, `CHORDFLOW_DAG_DISCOVERY_SAFE_MODE`): only files whose text
contains both "airflow" and "dag" (or "asset"), in any case, are parsed (a file importing
chordflow's own `cluster` package counts as mentioning airflow). `.airflowignore`
files in the folder and in any subfolder list paths to skip, in `regexp` syntax (each line
a regular expression searched in the path relative to the DAGs folder) or `glob` syntax
(`.gitignore` patterns, relative to the ignore file's folder), chosen by
`CHORDFLOW_DAG_IGNORE_FILE_SYNTAX`; the patterns of a folder apply to its subfolders.
"""
from __future__ import annotations

import dataclasses
import enum
import logging
import os
import re
from pathlib import Path
from typing import Any

try:  # pathspec 1.x names the .gitignore pattern class so; 0.x has only the older one
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as GitPattern
except ImportError:  # pragma: no cover
    from pathspec.patterns import GitWildMatchPattern as GitPattern

log = logging.getLogger(__name__)

IGNORE_FILE = ".airflowignore"


class IgnoreSyntax(str, enum.Enum):
    REGEXP = "regexp"
    GLOB = "glob"


@dataclasses.dataclass(frozen=True)
class Discovery:
    """How DAG files are found: safe mode and the syntax of `.airflowignore` files."""

    safe_mode: bool = True
    ignore_syntax: IgnoreSyntax = IgnoreSyntax.REGEXP

    @classmethod
    def of(cls, settings: Any) -> "Discovery":
        """The discovery options of a Settings object (its defaults if it has none)."""
        return cls(getattr(settings, "dag_discovery_safe_mode", True),
                   IgnoreSyntax(getattr(settings, "dag_ignore_file_syntax", "regexp")))


@dataclasses.dataclass(frozen=True)
class _Rule:
    pattern: Any
    base: Path  # regexp: the DAGs folder; glob: the ignore file's folder if anchored
    anchored: bool = False
    dir_only: bool = False


def dag_files(path: Path, discovery: Discovery | None = None) -> list[Path]:
    """The DAG files of a folder (or the file itself), in a stable order."""
    discovery = discovery or Discovery()
    path = Path(path)
    if path.is_file():
        return [path]
    files: list[Path] = []
    rules_of: dict[Path, list[_Rule]] = {}
    for root, dirs, names in os.walk(path, followlinks=True):
        folder = Path(root)
        rules = rules_of.get(folder, []) + _read_ignore(folder, path, discovery.ignore_syntax)
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__"))
                         and not _ignored(folder / d, True, rules, discovery.ignore_syntax))
        for d in dirs:
            rules_of[folder / d] = rules
        for name in sorted(names):
            if not name.endswith(".py") or name.startswith((".", "_")):
                continue
            full = folder / name
            if _ignored(full, False, rules, discovery.ignore_syntax):
                continue
            if not discovery.safe_mode or might_contain_dag(full):
                files.append(full)
    return files


_NATIVE = re.compile(rb"^\s*(from|import)\s+cluster\b", re.MULTILINE)


def might_contain_dag(file: Path) -> bool:
    """Airflow's safe-mode heuristic: the text mentions "airflow" and "dag" (or "asset").

    A chordflow DAG file (`from cluster import DAG`) counts as mentioning airflow.
    """
    try:
        content = file.read_bytes().lower()
    except OSError:
        return False
    if b"dag" not in content and b"asset" not in content:
        return False
    return b"airflow" in content or b"chordflow" in content or _NATIVE.search(content) is not None


def _read_ignore(folder: Path, top: Path, syntax: IgnoreSyntax) -> list[_Rule]:
    ignore = folder / IGNORE_FILE
    if not ignore.is_file():
        return []
    rules = []
    for line in ignore.read_text(errors="replace").splitlines():
        line = re.sub(r"\s*#.*", "", line).rstrip() if syntax is IgnoreSyntax.REGEXP \
            else line.rstrip()
        if not line or line.startswith("#"):
            continue
        rule = _compile(line, folder, top, syntax, ignore)
        if rule is not None:
            rules.append(rule)
    return rules


def _compile(line: str, folder: Path, top: Path, syntax: IgnoreSyntax, source: Path
             ) -> _Rule | None:
    if syntax is IgnoreSyntax.REGEXP:
        try:
            return _Rule(re.compile(line), top)
        except re.error as exc:
            log.warning("ignoring the invalid pattern %r of %s: %s", line, source, exc)
            return None
    if line.strip() == "/":
        return None
    anchored = line.startswith("/") or "/" in line.rstrip("/")
    bare = line.lstrip("!")
    return _Rule(GitPattern(line), folder, anchored,
                 dir_only=bare.rstrip() != bare.rstrip().rstrip("/"))


def _ignored(path: Path, is_dir: bool, rules: list[_Rule], syntax: IgnoreSyntax) -> bool:
    if syntax is IgnoreSyntax.REGEXP:
        return any(rule.pattern.search(str(path.relative_to(rule.base))) for rule in rules)
    matched = False
    for rule in rules:  # later patterns win, so a `!pattern` can take a file back
        if rule.dir_only and not is_dir:
            continue
        relative = path.relative_to(rule.base).as_posix() if rule.anchored else path.name
        if is_dir:
            relative += "/"
        if rule.pattern.include is not None and rule.pattern.match_file(relative) is not None:
            matched = rule.pattern.include
    return matched
