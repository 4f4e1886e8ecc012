"""BashSensor: waits until a shell command exits with 0."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from typing import Any, Sequence

from cluster.errors import AirflowFailException
from cluster.sdk.sensors.base import BaseSensorOperator


class BashSensor(BaseSensorOperator):
    """Pokes by running `bash_command` with bash in a temporary directory: done when it
    exits with 0, as in Airflow.

    Parameters:
      bash_command: the command or commands to run (templated).
      env: the command's whole environment (templated); the worker's when None.
      output_encoding: how the command's output is decoded into the task log.
      retry_exit_code: the exit code that means "not yet"; any other non-zero code fails
        the sensor (a skip with `soft_fail`). When None, every non-zero code means not yet.
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    template_fields: Sequence[str] = ("bash_command", "env")

    def __init__(self, *, bash_command: str, env: dict[str, str] | None = None,
                 output_encoding: str = "utf-8", retry_exit_code: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code

    def poke(self, context: dict[str, Any]) -> bool:
        """Run the command once; its exit code decides (see `retry_exit_code`)."""
        print(f"{self.task_id}: running command: {self.bash_command}")
        with tempfile.TemporaryDirectory(prefix="airflowtmp") as tmp:
            script = os.path.join(tmp, f"{self.task_id}.sh")
            with open(script, "w", encoding="utf-8") as handle:
                handle.write(self.bash_command)
            code = self._run(script, tmp)
        print(f"{self.task_id}: command exited with return code {code}")
        if code == 0:
            return True
        if self.retry_exit_code is not None and code != self.retry_exit_code:
            raise AirflowFailException(f"Command exited with return code {code}")
        return False

    def _run(self, script: str, cwd: str) -> int:
        with subprocess.Popen(
            ["bash", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=self.env, cwd=cwd, start_new_session=True,
        ) as proc:
            assert proc.stdout is not None
            try:
                for raw in proc.stdout:
                    sys.stdout.write(raw.decode(self.output_encoding, errors="replace"))
                return proc.wait()
            except BaseException:  # a timeout or a cancel: the command must not run on
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                raise
            finally:
                sys.stdout.flush()


__all__ = ["BashSensor"]
