"""Flower does not start without credentials: compose refuses the configuration (the
Helm chart's refusal is tested in tests/unit/test_helm_chart.py)."""
import shutil
import subprocess

from tests.conftest import ROOT
from tests.servers import missing

NEEDED = {"POSTGRES_PASSWORD": "pg", "REDIS_PASSWORD": "rd", "MOVIELENS_PASSWORD": "ml",
          "WEBSERVER_ADMIN_USER": "admin", "WEBSERVER_ADMIN_PASSWORD": "wp",
          "WEBSERVER_SECRET_KEY": "a-long-signing-key"}


def _config(tmp_path, **extra):
    cmd = shutil.which("docker-compose")
    if cmd is None:
        missing("docker-compose is not installed")
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**NEEDED, **extra}.items()))
    return subprocess.run([cmd, "--env-file", str(env_file), "-f",
                           str(ROOT / "docker-compose.yml"), "config"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin:/usr/local/bin"})


def test_compose_refuses_flower_without_credentials(tmp_path):
    refused = _config(tmp_path)
    assert refused.returncode != 0
    assert "FLOWER_BASIC_AUTH" in refused.stderr, refused.stderr
    accepted = _config(tmp_path, FLOWER_BASIC_AUTH="admin:pw")
    assert accepted.returncode == 0, accepted.stderr
    assert "FLOWER_BASIC_AUTH: admin:pw" in accepted.stdout
