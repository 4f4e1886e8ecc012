"""The DAG processor: parses the DAGs folder every CHORDFLOW_DAG_DIR_LIST_INTERVAL and
records DAGs, versions and import errors, as Airflow's dag-processor does.

It runs apart from the scheduler loop, so a file that takes its whole timeout to parse
delays no run start and no repair: in a thread of the scheduler by default, or as a process
of its own (`chordflow dag-processor`, with CHORDFLOW_STANDALONE_DAG_PROCESSOR=true for
the schedulers). Each file is parsed in a child process bounded in time and memory.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from cluster.config import Settings
from cluster.control.discovery import Discovery
from cluster.control.parsing import ParsedFolder, parse_folder
from cluster.store import Store
from cluster.sdk.timetables.codec import ASSET_TIMETABLES
from cluster.store import assets as asset_store
from cluster.store import dags as dag_store
from cluster.sdk.assets import from_json

log = logging.getLogger("chordflow.dag_processor")


def sync_dags(store: Store, folder: Any, dags_folder: Any = None,
              settings: Settings | None = None) -> ParsedFolder:
    """Parse a DAGs folder (or one file), each file in a limited child process, and record
    DAGs, versions and import errors."""
    limits = settings or Settings  # the class holds the defaults
    parsed = parse_only(folder, dags_folder, limits)
    dag_store.sync_dags(store, list(parsed.serialized.values()), parsed.digests,
                        parsed.import_errors, parsed.files,
                        deactivate_missing=folder == dags_folder or dags_folder is None,
                        paused_at_creation=limits.dags_are_paused_at_creation)
    asset_store.register(store, assets_named(parsed.serialized.values()))
    return parsed


def parse_only(folder: Any, dags_folder: Any = None,
               settings: Settings | type[Settings] = Settings) -> ParsedFolder:
    """Parse as the processor does (each file in a limited child process); record nothing."""
    return parse_folder(folder, dags_folder, timeout=settings.dag_file_processor_timeout,
                        memory_mb=settings.dag_file_memory_limit_mb,
                        discovery=Discovery.of(settings))


def assets_named(serialized: Any) -> list[dict[str, Any]]:
    """The assets DAG versions name: tasks' outlets and asset schedules."""

    out = []
    for data in serialized:
        for task in data["tasks"]:
            out.extend(task.get("outlets") or ())
        timetable = data.get("timetable") or {}
        if timetable.get("type") in ASSET_TIMETABLES:
            condition = from_json(timetable["data"]["asset_condition"])
            out.extend(a.as_json()["asset"] for a in condition.iter_assets())
    return out


class DagProcessor:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store

    def parse(self) -> ParsedFolder | None:
        """One pass over the folder; None when it could not be read (logged)."""
        try:
            return sync_dags(self.store, self.settings.dags_folder, self.settings.dags_folder,
                             self.settings)
        except Exception as exc:  # a vanished folder or a restarting database
            log.error("cannot parse the DAGs folder: %s", str(exc).strip().splitlines()[0]
                      if str(exc).strip() else type(exc).__name__)
            return None

    def run_forever(self, stop: threading.Event) -> None:
        log.info("DAG processor started: %s every %gs", self.settings.dags_folder,
                 self.settings.dag_dir_list_interval)
        while not stop.is_set():
            parsed = self.parse()
            if parsed is not None:
                log.debug("parsed %d DAG(s), %d import error(s)", len(parsed.serialized),
                          len(parsed.import_errors))
            stop.wait(self.settings.dag_dir_list_interval)
