"""DagBag: load every DAG file of a folder in isolation, recording failures as import errors."""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import os
import sys
import traceback
from pathlib import Path

from cluster.compat import namespace as compat
from cluster.sdk.dag import DAG
from cluster.control.discovery import Discovery, dag_files
from cluster.errors import ChordflowError, ConfigError

log = logging.getLogger(__name__)


@dataclasses.dataclass
class DagBag:
    """The DAGs of a folder (or one file) and the files that failed to load."""

    folder: Path
    dags: dict[str, DAG] = dataclasses.field(default_factory=dict)
    import_errors: dict[str, str] = dataclasses.field(default_factory=dict)
    files: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def load(cls, path: str | os.PathLike, discovery: Discovery | None = None) -> "DagBag":
        path = Path(path).absolute()
        if not path.exists():
            raise ConfigError(f"DAGs folder {path} does not exist (set CHORDFLOW_DAGS_FOLDER)")
        bag = cls(folder=path if path.is_dir() else path.parent)
        add_to_sys_path(bag.folder)
        for file in dag_files(path, discovery):
            bag.load_file(file)
        return bag

    def load_file(self, file: Path) -> list[DAG]:
        name = str(file)
        self.files.append(name)
        try:
            found = load_dags_from_file(file)
            for dag in found:
                if dag.dag_id in self.dags:
                    raise ChordflowError(
                        f"DAG id {dag.dag_id!r} is already defined in "
                        f"{self.dags[dag.dag_id].fileloc}"
                    )
        except BaseException as exc:  # a DAG file may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.import_errors[name] = describe_import_error(exc, file)
            log.info("DAG file %s failed to load: %s", name, self.import_errors[name])
            return []
        for dag in found:
            self.dags[dag.dag_id] = dag
        return found

    def get(self, dag_id: str) -> DAG | None:
        return self.dags.get(dag_id)


def load_dags_from_file(file: Path) -> list[DAG]:
    """Import one file as its own module and return the DAGs it defines, checked."""
    module_name = "chordflow_dag_" + hashlib.sha1(str(file).encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ChordflowError(f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    compat.install()
    parent = str(file.parent)
    sys.path.insert(0, parent)  # first while the file loads, so its own modules win
    try:
        with DAG.collect() as created:
            spec.loader.exec_module(module)
    finally:
        if parent in sys.path:
            sys.path.remove(parent)  # the first occurrence: the one inserted above
        add_to_sys_path(parent)
    dags: list[DAG] = []
    for value in list(vars(module).values()) + created:
        if isinstance(value, DAG) and all(value is not d for d in dags):
            value.fileloc = str(file)
            dags.append(value)
    for dag in dags:
        dag.check()
    return dags


def describe_import_error(exc: BaseException, file: Path) -> str:
    """One line naming the file's line where it can, the exception and its message."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == str(file):
            where = f" (line {frame.lineno})"
            break
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}{where}"


def add_to_sys_path(folder: str | os.PathLike) -> None:
    """Put a folder on sys.path for good, as Airflow does with the DAGs folder and a file's
    folder: task code imports its own modules (`from common.settings import ...`) lazily."""
    folder = str(folder)
    if folder not in sys.path:
        sys.path.append(folder)
