"""Wheels for a user's requirements.txt, Airflow providers included, for the images.

    python images/requirements.py REQUIREMENTS OUT

Airflow providers (`apache-airflow-providers-*` lines) go in without their dependencies,
since those name Airflow itself, which would replace chordflow's `airflow` namespace;
their own third-party requirements (each wheel's `Requires-Dist` other than
`apache-airflow*`, markers evaluated here) are added to the other lines, together with
the few packages Airflow itself would bring that providers import without declaring
them. OUT receives `providers/` and `wheels/` (wheels only, so the image build needs no
network) and `requirements.txt` (what to install from `wheels/` with dependencies).
Apache Airflow itself is refused: chordflow stands in for it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

# Airflow's own requirements that providers import without declaring them.
AIRFLOW_BRINGS = ["deprecated>=1.2.13", "tenacity>=8.0.0", "lazy-object-proxy>=1.2.0"]


def read_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def is_provider(line: str) -> bool:
    return line.lower().replace("_", "-").startswith("apache-airflow-providers-")


def provider_requirements(wheel: Path) -> list[str]:
    """The third-party requirements a provider wheel declares, for this Python."""
    with zipfile.ZipFile(wheel) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(whl.read(name).decode())
    env = {**default_environment(), "extra": ""}
    found = []
    for spec in metadata.get_all("Requires-Dist") or []:
        req = Requirement(spec)
        if req.name.lower().replace("_", "-").startswith("apache-airflow"):
            continue
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        req.marker = None
        found.append(str(req))
    return found


def pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"pip {' '.join(args[:1])} failed: {done.stderr.strip()[-2000:]}")


def main(requirements: Path, out: Path) -> None:
    lines = read_lines(requirements)
    for line in lines:
        if Requirement(line).name.lower().replace("_", "-") == "apache-airflow":
            sys.exit(f"{requirements}: {line!r}: chordflow stands in for Apache Airflow "
                     f"itself; list the providers you need (apache-airflow-providers-...)")
    providers = [line for line in lines if is_provider(line)]
    others = [line for line in lines if not is_provider(line)]
    if out.exists():
        shutil.rmtree(out)
    (out / "providers").mkdir(parents=True)
    (out / "wheels").mkdir()
    if providers:
        pip("download", "--no-deps", "--only-binary", ":all:", "-d", str(out / "providers"),
            *providers)
        for wheel in sorted((out / "providers").glob("*.whl")):
            others += provider_requirements(wheel)
        others += AIRFLOW_BRINGS
    (out / "requirements.txt").write_text("".join(f"{line}\n" for line in others))
    if others:
        pip("wheel", "-w", str(out / "wheels"), "-r", str(out / "requirements.txt"))
    print(f"{len(providers)} providers, {len(others)} other requirements "
          f"({len(list((out / 'wheels').glob('*.whl')))} wheels)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
