"""The clearinghouse connection as an interface with interchangeable implementations.

An adapter sends an outbound file and lists, reads and acknowledges inbound files. Two of them:
a folder drop (`FolderDrop`: outbound/ and inbound/ directories, the way many clearinghouses
exchange files, also behind an SFTP mount) with its SFTP twin in `sftp.py`, and the embedded
payer simulator (`SimulatorDrop`), which answers every file it is sent into its own inbound folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from openmso.core.types import utcnow
from openmso.rcm.claims.x837 import Envelope
from openmso.rcm.clearinghouse.simulator import PayerSimulator


@dataclass(frozen=True, slots=True)
class InboundItem:
    name: str
    content: bytes


class Clearinghouse(Protocol):
    name: str
    envelope: Envelope

    def send(self, filename: str, content: bytes) -> None:
        """Deliver one outbound file (an 837P interchange)."""

    def inbound(self) -> list[str]:
        """Names of the files waiting to be read, oldest first."""

    def read(self, name: str) -> bytes:
        """The bytes of one inbound file."""

    def done(self, name: str) -> None:
        """The file is stored (applied or quarantined): take it off the inbound list."""


def default_envelope(mso_name: str, receiver_name: str = "CLEARINGHOUSE", receiver_id: str = "CLEARINGHOUSE"
                     ) -> Envelope:
    return Envelope(mso_name.upper()[:60], "OPENMSO", "BILLING OFFICE", "8005550100", receiver_name, receiver_id)


def _write_atomically(path: Path, content: bytes) -> None:
    """Write then rename, so the other side never picks up half a file."""
    partial = path.with_name(f".{path.name}.part")
    partial.write_bytes(content)
    os.replace(partial, path)


class FolderDrop:
    """Outbound and inbound directories on a local or mounted file system."""

    name = "folder"

    def __init__(self, root: Path, envelope: Envelope):
        self.root = Path(root)
        self.envelope = envelope
        self.outbound_dir = self.root / "outbound"
        self.inbound_dir = self.root / "inbound"
        self.processed_dir = self.inbound_dir / "processed"
        for directory in (self.outbound_dir, self.inbound_dir, self.processed_dir):
            directory.mkdir(parents=True, exist_ok=True)

    def send(self, filename: str, content: bytes) -> None:
        _write_atomically(self.outbound_dir / filename, content)

    def inbound(self) -> list[str]:
        return sorted(p.name for p in self.inbound_dir.iterdir() if p.is_file() and not p.name.startswith("."))

    def read(self, name: str) -> bytes:
        return (self.inbound_dir / name).read_bytes()

    def done(self, name: str) -> None:
        os.replace(self.inbound_dir / name, self.processed_dir / name)


class SimulatorDrop(FolderDrop):
    """A folder drop whose other side is the payer simulator: every file sent is answered at once
    (999, 277CA, 835) into inbound/. Its own control numbers persist in state.json.

    With `hold_until_paid`, an 835 waits in scheduled/ until its payment date, the way a payer's remittance
    arrives weeks after the claim: `inbound()` delivers the files that are due (by `today`, or the clock)."""

    name = "simulator"

    def __init__(self, root: Path, envelope: Envelope, simulator: PayerSimulator | None = None,
                 today: date | None = None, hold_until_paid: bool = False):
        super().__init__(root, envelope)
        self.simulator = simulator or PayerSimulator()
        self.today = today
        self.hold_until_paid = hold_until_paid
        self.state_path = self.root / "state.json"
        self.scheduled_dir = self.root / "scheduled"

    def _today(self) -> date:
        return self.today or utcnow().date()

    def _next_control(self) -> int:
        state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {"control": 0}
        state["control"] += 1
        _write_atomically(self.state_path, json.dumps(state).encode())
        return state["control"]

    def send(self, filename: str, content: bytes) -> None:
        super().send(filename, content)
        control, today = self._next_control(), self._today()
        for name, text in self.simulator.respond(content, control, today):
            due = self.simulator.paid_on(control, today) if name.startswith("835") else today
            if self.hold_until_paid and due > today:
                self.scheduled_dir.mkdir(exist_ok=True)
                _write_atomically(self.scheduled_dir / f"{due.isoformat()}_{name}", text.encode("latin-1"))
            else:
                _write_atomically(self.inbound_dir / name, text.encode("latin-1"))

    def inbound(self) -> list[str]:
        if self.scheduled_dir.is_dir():
            today = self._today().isoformat()
            for path in sorted(self.scheduled_dir.iterdir()):
                due, _, name = path.name.partition("_")
                if not path.name.startswith(".") and due <= today:
                    os.replace(path, self.inbound_dir / name)
        return super().inbound()
