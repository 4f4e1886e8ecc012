"""Helpers the test DAGs share: record what ran, when, on which try."""
import os
import time


def mark(name: str, text: str) -> None:
    out = os.environ.get("CHORDFLOW_TEST_OUT", "/tmp")
    with open(os.path.join(out, name), "a") as fh:
        fh.write(f"{text} {time.time():.6f}\n")
