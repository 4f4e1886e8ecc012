"""DAG discovery as in Airflow: safe mode and .airflowignore (regexp and glob) in subfolders."""
from pathlib import Path

import pytest

from cluster.config import Settings
from cluster.control.discovery import Discovery, IgnoreSyntax, dag_files
from cluster.errors import ConfigError

DAG_TEXT = "from airflow import DAG\n"


def tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def found(root: Path, **options) -> list[str]:
    return [p.relative_to(root).as_posix() for p in dag_files(root, Discovery(**options))]


def test_safe_mode_parses_only_files_mentioning_airflow_and_dag(tmp_path):
    tree(tmp_path, {"a.py": DAG_TEXT, "helpers.py": "def dag_helper(): pass\n",
                    "plain.py": "import airflow  # no d-a-g here\n",
                    "native.py": "from cluster import DAG\n", "upper.py": "# AIRFLOW Dag\n"})
    assert found(tmp_path) == ["a.py", "native.py", "upper.py"]
    assert found(tmp_path, safe_mode=False) == ["a.py", "helpers.py", "native.py", "plain.py",
                                                "upper.py"]


def test_regexp_ignore_applies_to_subfolders_relative_to_the_dags_folder(tmp_path):
    tree(tmp_path, {".airflowignore": "project_a\ntenant_[\\d]\n# a comment\n",
                    "project_a/x.py": DAG_TEXT, "other/project_a_dag.py": DAG_TEXT,
                    "tenant_1/y.py": DAG_TEXT, "tenant_x/y.py": DAG_TEXT,
                    "keep.py": DAG_TEXT,
                    "team/.airflowignore": "^team/skip.*\n", "team/skip_me.py": DAG_TEXT,
                    "team/ok.py": DAG_TEXT, "skip_me.py": DAG_TEXT})
    assert found(tmp_path) == ["keep.py", "skip_me.py", "team/ok.py", "tenant_x/y.py"]


def test_glob_ignore_with_anchors_directories_and_negation(tmp_path):
    tree(tmp_path, {".airflowignore": "*_test.py\n/build/\n!keep_test.py\n",
                    "a_test.py": DAG_TEXT, "keep_test.py": DAG_TEXT, "build/x.py": DAG_TEXT,
                    "sub/build/y.py": DAG_TEXT, "sub/b_test.py": DAG_TEXT,
                    "sub/.airflowignore": "local/*.py\n", "sub/local/z.py": DAG_TEXT,
                    "local/z.py": DAG_TEXT})
    assert found(tmp_path, ignore_syntax=IgnoreSyntax.GLOB) == [
        "keep_test.py", "local/z.py", "sub/build/y.py"]


def test_settings_choose_the_discovery():
    settings = Settings.from_env({"CHORDFLOW_DAG_DISCOVERY_SAFE_MODE": "false",
                                  "CHORDFLOW_DAG_IGNORE_FILE_SYNTAX": "glob"})
    assert Discovery.of(settings) == Discovery(False, IgnoreSyntax.GLOB)
    assert Discovery.of(Settings.from_env({})) == Discovery(True, IgnoreSyntax.REGEXP)
    with pytest.raises(ConfigError, match="DAG_IGNORE_FILE_SYNTAX"):
        Settings.from_env({"CHORDFLOW_DAG_IGNORE_FILE_SYNTAX": "fnmatch"})
