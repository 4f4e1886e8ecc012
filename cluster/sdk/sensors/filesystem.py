"""FileSensor: waits until a file, a directory or a glob pattern's match exists."""
from __future__ import annotations

import glob
import os
from typing import Any, Sequence

from cluster.errors import AirflowNotFoundException
from cluster.sdk.hooks import BaseHook
from cluster.errors import AirflowException
from cluster.sdk.triggers import FileTrigger
from cluster.sdk.sensors.base import BaseSensorOperator


class FileSensor(BaseSensorOperator):
    """Done when `filepath` (a path or a glob pattern, under the connection's base path)
    matches a file, or a directory with a file somewhere in it.

    Parameters:
      filepath: the path or pattern to wait for (templated).
      fs_conn_id: a connection whose extra `path` is the base of a relative `filepath`;
        when the connection is not defined there is no base path.
      recursive: `**` in the pattern matches any number of directories.
      deferrable: after a first poke, defer to a FileTrigger instead of poking.
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    template_fields: Sequence[str] = ("filepath",)
    ui_color = "#91818a"

    def __init__(self, *, filepath: str | os.PathLike, fs_conn_id: str = "fs_default",
                 recursive: bool = False, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deferrable = bool(deferrable)
        self.filepath = os.fspath(filepath)
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive

    def base_path(self) -> str:
        """The connection's extra `path`, or "" when the connection is not defined."""
        try:
            conn = BaseHook.get_connection(self.fs_conn_id)
        except AirflowNotFoundException:
            return ""
        return str(conn.extra_dejson.get("path") or "")

    def execute(self, context: dict[str, Any]) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if not self.poke(context):
            self.defer(trigger=FileTrigger(filepath=os.path.join(self.base_path(), self.filepath),
                                           recursive=self.recursive,
                                           poke_interval=self.poke_interval),
                       method_name="execute_complete", timeout=self.timeout)

    def execute_complete(self, context: dict[str, Any], event: bool | None = None) -> None:
        if not event:
            raise AirflowException(f"{self.task_id} task failed as {self.filepath} not found.")
        print(f"{self.task_id}: completed successfully as {self.filepath} was found")

    def poke(self, context: dict[str, Any]) -> bool:
        """True when a match is a file, or a directory holding a file."""
        full = os.path.join(self.base_path(), self.filepath)
        print(f"{self.task_id}: poking for file {full}")
        for path in glob.glob(full, recursive=self.recursive):
            if os.path.isfile(path):
                print(f"{self.task_id}: found file {path}")
                return True
            if os.path.isdir(path) and any(files for _, _, files in os.walk(path)):
                print(f"{self.task_id}: found directory {path} with files in it")
                return True
        return False


__all__ = ["FileSensor"]
