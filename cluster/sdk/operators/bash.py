"""BashOperator: a shell command as a task, its output streamed into the task log."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from typing import Any, Callable, Sequence

from cluster.errors import AirflowException, AirflowSkipException
from cluster.sdk.xcom_arg import resolve_xcom_args
from cluster.sdk.operators.base import BaseOperator
from cluster.sdk.operators.python import context_kwargs


class BashOperator(BaseOperator):
    """Runs `bash_command` with bash; the last line of output is its XCom.

    Parameters:
      bash_command: the command or a `.sh` template file (templated).
      env: environment of the command (replaces the worker's unless `append_env`).
      cwd: working directory (a temporary one when not given).
      skip_on_exit_code: exit codes that mark the task skipped (99 by default).
      output_processor: turns the last line of output into the XCom (identity by default).
    """

    template_fields: Sequence[str] = ("bash_command", "env", "cwd")
    template_ext: Sequence[str] = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_on_exit_code: int | Sequence[int] | None = 99,
        cwd: str | None = None,
        output_processor: Callable[[str], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_processor is not None and not callable(output_processor):
            raise TypeError(f"BashOperator({self.task_id!r}): output_processor must be callable")
        self.output_processor = output_processor
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.output_encoding = output_encoding
        if skip_on_exit_code is None:
            skip_on_exit_code = ()
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = (skip_on_exit_code,)
        self.skip_on_exit_code = tuple(skip_on_exit_code)
        self.cwd = cwd

    def execute(self, context: dict[str, Any]) -> Any:
        env = dict(os.environ) if self.env is None or self.append_env else {}
        env.update(self.env or {})
        ti = context.get("ti")
        if ti is not None:
            env.update({
                "AIRFLOW_CTX_DAG_ID": ti.dag_id, "AIRFLOW_CTX_TASK_ID": ti.task_id,
                "AIRFLOW_CTX_DAG_RUN_ID": str(ti.run_id), "AIRFLOW_CTX_TRY_NUMBER": str(ti.try_number),
            })
        if self.cwd is not None:
            if not os.path.exists(self.cwd):
                raise AirflowException(f"Can not find the cwd: {self.cwd}")
            if not os.path.isdir(self.cwd):
                raise AirflowException(f"The cwd {self.cwd} must be a directory")
        with tempfile.TemporaryDirectory(prefix="airflowtmp") as tmp:
            last = self._run(env, self.cwd or tmp)
        return self.output_processor(last) if self.output_processor is not None else last

    def _run(self, env: dict[str, str], cwd: str) -> str:
        """Run the command in `cwd`, streaming its output; the last non-empty line."""
        last = ""
        with subprocess.Popen(
            ["bash", "-c", self.bash_command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True,
        ) as proc:
            assert proc.stdout is not None
            try:
                for raw in proc.stdout:
                    line = raw.decode(self.output_encoding, errors="replace")
                    sys.stdout.write(line)
                    if line.strip():
                        last = line.rstrip("\n")
                code = proc.wait()
            except BaseException:  # a timeout or a cancel: the command must not run on
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                raise
        sys.stdout.flush()
        if code in self.skip_on_exit_code:
            raise AirflowSkipException(f"Bash command returned exit code {code}. Skipping.")
        if code != 0:
            raise AirflowException(
                f"Bash command failed. The command returned a non-zero exit code {code}."
            )
        return last


class _BashDecoratedOperator(BashOperator):
    """`@task.bash`: the function returns the command to run."""

    def __init__(self, *, python_callable: Callable, op_args: Any = None,
                 op_kwargs: Any = None, multiple_outputs: bool = False, **kwargs: Any) -> None:
        super().__init__(bash_command="", **kwargs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        from cluster.sdk.xcom_arg import iter_xcom_args

        for arg in iter_xcom_args([self.op_args, self.op_kwargs]):
            arg.operator >> self

    def execute(self, context: dict[str, Any]) -> Any:
        args = resolve_xcom_args(self.op_args, context)
        kwargs = resolve_xcom_args(self.op_kwargs, context)
        command = self.python_callable(*args, **context_kwargs(self.python_callable, context, kwargs))
        if not isinstance(command, str) or not command.strip():
            raise TypeError("a @task.bash function must return a non-empty command string")
        self.bash_command = command
        return super().execute(context)
