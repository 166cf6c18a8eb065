"""Each measured run in a fresh process, so its peak memory and CPU time are its own; the child answers
with one line of JSON, the last it prints."""

from __future__ import annotations

import json
import subprocess
import sys


def run_child(script: str, *args: str):
    """Run `python script args…` and return the JSON value of its last output line."""
    output = subprocess.run([sys.executable, script, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def answer(value) -> int:
    """The child's side: print `value` as the one JSON line the parent reads; the exit status."""
    print(json.dumps(value), flush=True)
    return 0
