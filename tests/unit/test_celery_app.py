"""The Celery app module builds nothing at import: the factory takes explicit settings."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent("""
    import cluster.celery_app as module
    from cluster.planning.canvas import ARRIVE_TASK, DAG_CALLBACK_TASK, RUN_TASK
    from cluster.config import Settings

    assert "app" not in vars(module), "an app was built at import"
    app = module.make_app(Settings.from_env({"CHORDFLOW_BROKER_URL": "redis://example:6379/3"}))
    assert app.conf.broker_url == "redis://example:6379/3", app.conf.broker_url
    assert {RUN_TASK, ARRIVE_TASK, DAG_CALLBACK_TASK} <= set(app.tasks)
    assert app.chordflow_settings.runner == "auto"
    try:
        module.app
    except Exception as exc:
        print("lazy app:", type(exc).__name__, exc)
    print("ok")
""")


def _run(env_changes: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update(env_changes, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)


def test_importing_the_app_module_with_a_bad_environment_does_not_fail():
    done = _run({"CHORDFLOW_RUNNER": "bogus"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "ok"
    # The environment's app is made on first use, and only then is the environment read.
    assert "lazy app: ConfigError CHORDFLOW_RUNNER='bogus'" in done.stdout


def test_the_environment_app_is_made_once_on_first_use():
    code = ("import cluster.celery_app as m\n"
            "from cluster.celery_app import app\n"
            "assert m.app is app and m.app.chordflow_settings.dags_folder.name == 'flows'\n"
            "print(app.main)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update(CHORDFLOW_DAGS_FOLDER="/tmp/flows", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "chordflow"
