"""PythonVirtualenvOperator / @task.virtualenv and ExternalPythonOperator / @task.external_python:
the callable's source runs in another Python, with its own packages."""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import inspect
import json
import os
import importlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from cluster.errors import AirflowException, AirflowSkipException, DagDefinitionError
from cluster.sdk.xcom_arg import resolve_xcom_args
from cluster.sdk.operators.python import PythonOperator

# Context entries a callable in another interpreter may ask for by name (plain values).
_PASSABLE_CONTEXT = frozenset({
    "ds", "ds_nodash", "ts", "ts_nodash", "ts_nodash_with_tz", "run_id", "params",
    "templates_dict", "logical_date", "execution_date", "data_interval_start",
    "data_interval_end", "next_ds", "prev_ds", "next_ds_nodash", "prev_ds_nodash",
    "try_number", "map_index", "test_mode",
})
_SCRIPT = '''\
import json, sys
import {serializer} as pickle
virtualenv_string_args = {string_args!r}
{source}
with open(sys.argv[1], "rb") as fh:
    args, kwargs = pickle.load(fh)
result = {name}(*args, **kwargs)
try:
    text = json.dumps(result)
except (TypeError, ValueError) as exc:
    sys.exit("the return value of {name} cannot be stored as JSON: %s" % exc)
with open(sys.argv[2], "w") as fh:
    fh.write(text)
'''

# Where the process runner's tries keep virtualenvs (the worker's home; a try's environment
# holds no chordflow setting, so the runner names this one path).
VENV_CACHE_ENV = "CHORDFLOW_VENV_CACHE"


class _ExternalInterpreterOperator(PythonOperator):
    """Runs the callable's source, not the function object, in `_interpreter()`."""

    def __init__(self, *, python_callable: Callable, serializer: str | None = None,
                 use_dill: bool = False, string_args: Iterable[str] | None = None,
                 skip_on_exit_code: int | Sequence[int] | None = None,
                 expect_airflow: bool = True, **kwargs: Any) -> None:
        name = f"{type(self).__name__}({kwargs.get('task_id')!r})"
        if not inspect.isfunction(python_callable) or python_callable.__name__ == "<lambda>":
            raise DagDefinitionError(f"{name}: only supports functions for python_callable")
        serializer = "dill" if use_dill and serializer in (None, "dill") else serializer
        if use_dill and serializer != "dill":
            raise DagDefinitionError(f"{name}: use_dill=True and serializer={serializer!r} "
                                     "contradict each other")
        if serializer not in (None, "pickle", "dill"):
            raise DagDefinitionError(
                f"{name}: serializer={serializer!r} is not supported by chordflow (pickle or "
                "dill carry the arguments; the return value comes back as JSON)")
        if serializer == "dill" and importlib.util.find_spec("dill") is None:
            raise DagDefinitionError(f"{name}: serializer='dill' needs the dill package "
                                     "next to chordflow (pip install dill)")
        super().__init__(python_callable=python_callable, **kwargs)
        self.serializer = serializer or "pickle"
        self.string_args = list(string_args or [])
        if skip_on_exit_code is None:
            skip_on_exit_code = ()
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = (skip_on_exit_code,)
        self.skip_on_exit_code = tuple(skip_on_exit_code)
        self.expect_airflow = expect_airflow

    def _interpreter(self) -> str:
        raise NotImplementedError

    def execute(self, context: dict[str, Any]) -> Any:
        args = resolve_xcom_args(self.op_args, context)
        kwargs = resolve_xcom_args(self.op_kwargs, context)
        wanted = set(inspect.signature(self.python_callable).parameters)
        passed = {**context, "templates_dict": self.templates_dict}
        kwargs = {**{k: passed[k] for k in wanted & _PASSABLE_CONTEXT
                     if k in passed and k not in kwargs}, **kwargs}
        python = self._interpreter()
        with tempfile.TemporaryDirectory(prefix="chordflow-venv-call-") as tmp:
            folder = Path(tmp)
            script = folder / "script.py"
            script.write_text(_SCRIPT.format(source=callable_source(self.python_callable),
                                             name=self.python_callable.__name__,
                                             string_args=self.string_args,
                                             serializer=self.serializer))
            serializer = importlib.import_module(self.serializer)
            try:
                (folder / "input.pkl").write_bytes(serializer.dumps((list(args), kwargs)))
            except Exception as exc:
                raise TypeError(f"the arguments of {self.python_callable.__name__} cannot be "
                                f"serialized ({self.serializer}) for another interpreter: "
                                f"{exc}") from None
            code = _stream([python, str(script), str(folder / "input.pkl"),
                            str(folder / "output.json")], cwd=tmp)
            if code in self.skip_on_exit_code:
                raise AirflowSkipException(f"Process exited with code {code}. Skipping.")
            if code != 0:
                raise AirflowException(f"Process returned non-zero exit status {code}.")
            out = folder / "output.json"
            result = json.loads(out.read_text()) if out.exists() else None
        if self.show_return_value_in_logs:
            self.log.info("Done. Returned value was: %s", result)
        else:
            self.log.info("Done. Returned value not shown")
        return result


class PythonVirtualenvOperator(_ExternalInterpreterOperator):
    """Runs the callable in a virtualenv with `requirements` installed (Airflow's operator).

    The virtualenv is made once per (requirements, Python, options) and kept under
    `$CHORDFLOW_HOME/venvs` (or `venv_cache_path`) for the next tries and runs.

    Parameters:
      requirements: pip requirement strings (or a requirements.txt text).
      python_version: e.g. "3.11" (the worker's Python by default; `pythonX.Y` must exist).
      system_site_packages: let the virtualenv see the worker's packages (True).
      pip_install_options / index_urls: passed to pip.
      op_args / op_kwargs / templates_dict: as for PythonOperator; arguments are pickled,
        the return value comes back as JSON.
      string_args: lines the callable reads as the global `virtualenv_string_args`.
      skip_on_exit_code: exit codes of the interpreter that skip the task.
    """

    template_fields: Sequence[str] = ("requirements", "templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python_callable: Callable,
                 requirements: str | Iterable[str] | None = None,
                 python_version: str | None = None, system_site_packages: bool = True,
                 pip_install_options: Sequence[str] | None = None,
                 index_urls: Sequence[str] | str | None = None,
                 venv_cache_path: str | os.PathLike | None = None, **kwargs: Any) -> None:
        super().__init__(python_callable=python_callable, **kwargs)
        if isinstance(requirements, str):
            requirements = [r.strip() for r in requirements.splitlines()]
        self.requirements = sorted({r for r in (requirements or []) if r and
                                    not r.startswith("#")})
        if self.serializer == "dill" and not any(
                r.split("=")[0].split("<")[0].split(">")[0].strip().lower() == "dill"
                for r in self.requirements):
            self.requirements = sorted([*self.requirements, "dill"])  # as Airflow adds it
        self.python_version = str(python_version) if python_version else None
        self.system_site_packages = system_site_packages
        self.pip_install_options = list(pip_install_options or [])
        self.index_urls = [index_urls] if isinstance(index_urls, str) else list(index_urls or [])
        self.venv_cache_path = venv_cache_path

    def _interpreter(self) -> str:
        base = sys.executable
        if self.python_version:
            base = shutil.which(f"python{self.python_version}") or ""
            if not base:
                raise AirflowException(
                    f"python_version={self.python_version!r}: no python{self.python_version} "
                    "on this worker")
        key = hashlib.sha256(json.dumps({
            "requirements": self.requirements, "python": os.path.realpath(base),
            "version": self.python_version or ".".join(map(str, sys.version_info[:3])),
            "system_site_packages": self.system_site_packages,
            "pip": self.pip_install_options, "index_urls": self.index_urls,
        }, sort_keys=True).encode()).hexdigest()[:20]
        root = Path(self.venv_cache_path or os.environ.get(VENV_CACHE_ENV) or Path(
            os.environ.get("CHORDFLOW_HOME", Path.home() / ".chordflow")) / "venvs")
        root.mkdir(parents=True, exist_ok=True)
        venv = root / key
        python = venv / "bin" / "python"
        with open(root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one build per key, other tries wait for it
            if (venv / ".ready").exists():
                self.log.info("using the cached virtualenv %s", venv)
                return str(python)
            shutil.rmtree(venv, ignore_errors=True)
            self.log.info("creating a virtualenv in %s for %s", venv,
                          ", ".join(self.requirements) or "no requirements")
            command = [base, "-m", "venv", str(venv)]
            if self.system_site_packages:
                command.insert(3, "--system-site-packages")
            if _stream(command) != 0:
                raise AirflowException(f"creating the virtualenv failed: {' '.join(command)}")
            if self.requirements:
                pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check",
                       *self.pip_install_options]
                for n, url in enumerate(self.index_urls):
                    pip += ["--index-url" if n == 0 else "--extra-index-url", url]
                if _stream(pip + self.requirements) != 0:
                    shutil.rmtree(venv, ignore_errors=True)
                    raise AirflowException(
                        f"pip install of {', '.join(self.requirements)} failed")
            (venv / ".ready").write_text(dt.datetime.now(dt.timezone.utc).isoformat())
        return str(python)


class ExternalPythonOperator(_ExternalInterpreterOperator):
    """Runs the callable with an existing interpreter, `python` (a path to its binary)."""

    template_fields: Sequence[str] = ("python", "templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python: str, python_callable: Callable, **kwargs: Any) -> None:
        if not python:
            raise DagDefinitionError(
                f"ExternalPythonOperator({kwargs.get('task_id')!r}): python is required")
        super().__init__(python_callable=python_callable, **kwargs)
        self.python = python

    def _interpreter(self) -> str:
        if not os.path.isfile(self.python) or not os.access(self.python, os.X_OK):
            raise AirflowException(f"Python binary {self.python!r} does not exist or is not "
                                   "executable")
        return self.python


class BranchPythonVirtualenvOperator(PythonVirtualenvOperator):
    """A PythonVirtualenvOperator whose callable, run in the virtualenv, returns the
    downstream task id(s) or task group id(s) to follow; every other direct downstream
    task is skipped (Airflow's operator; `@task.branch_virtualenv`)."""

    branches = True


class BranchExternalPythonOperator(ExternalPythonOperator):
    """An ExternalPythonOperator whose callable, run by the `python` interpreter, returns
    the downstream task id(s) or task group id(s) to follow; every other direct
    downstream task is skipped (Airflow's operator; `@task.branch_external_python`)."""

    branches = True


def callable_source(fn: Callable) -> str:
    """The function's own source, dedented, without its decorators."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as exc:
        raise DagDefinitionError(f"the source of {fn.__name__} cannot be read: {exc}") from None
    lines = source.splitlines()
    while lines and not lines[0].lstrip().startswith(("def ", "async def ")):
        lines.pop(0)
    return "\n".join(lines)


def _stream(command: list[str], cwd: str | None = None) -> int:
    """Run `command`, its output into the task log; the exit code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                          start_new_session=True) as proc:
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                sys.stdout.write(raw.decode("utf-8", errors="replace"))
            return proc.wait()
        except BaseException:  # a timeout or a cancel: the interpreter must not run on
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            raise
        finally:
            sys.stdout.flush()


__all__ = ["BranchExternalPythonOperator", "BranchPythonVirtualenvOperator",
           "ExternalPythonOperator", "PythonVirtualenvOperator"]
