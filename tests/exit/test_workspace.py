"""The export's output lock: held by the exporting process alone, never by a child it forked, so an
export killed while its helper is still dying does not refuse the next export of the same path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from openmso.core.errors import Conflict
from openmso.exit.package.workspace import Workspace

# Enters the workspace, forks a child that outlives it (no PR_SET_PDEATHSIG here, unlike the real
# helper, so the child is certainly still alive when the next export starts), waits until the child runs
# (as the real export waits for its helper's snapshot), then waits to be killed.
EXPORTER = textwrap.dedent("""
    import multiprocessing, sys, time
    from pathlib import Path
    from openmso.exit.package.workspace import Workspace

    def linger(running):
        running.set()  # fork hooks run before the child's own code: past them, as the real helper is
        time.sleep(60)

    workspace = Workspace(Path(sys.argv[1]), None).__enter__()
    fork = multiprocessing.get_context("fork")
    running = fork.Event()
    child = fork.Process(target=linger, args=(running,), daemon=False)
    child.start()
    assert running.wait(30), "the child never started"
    print(child.pid, flush=True)
    time.sleep(60)
""")


def test_a_second_export_of_the_same_path_is_refused_while_the_first_writes(tmp_path):
    out = tmp_path / "practice-1"
    with Workspace(out, None):
        with pytest.raises(Conflict, match="another export is writing"):
            Workspace(out, None).__enter__()
    with Workspace(out, None) as again:  # released once the first is done
        assert again.directory.is_dir()


def test_a_forked_child_does_not_hold_the_lock_after_its_parent_is_killed(tmp_path):
    out = tmp_path / "practice-1"
    exporter = subprocess.Popen([sys.executable, "-c", EXPORTER, str(out)], stdout=subprocess.PIPE, text=True)
    child = int(exporter.stdout.readline())
    try:
        exporter.send_signal(signal.SIGKILL)
        exporter.wait()
        os.kill(child, 0)  # still alive: it would hold the lock if it had kept its copy
        with Workspace(out, None) as rerun:
            assert rerun.cleaned == ["removed practice-1.partial, left by an interrupted export"]
    finally:
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.waitpid(child, os.WNOHANG)  # not our child; reaped by init, so poll for its exit
            except ChildProcessError:
                pass
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
