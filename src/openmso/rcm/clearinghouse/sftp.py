"""The folder drop over SFTP (asyncssh): outbound and inbound directories on the clearinghouse's server.

Each call opens one SSH connection and runs to completion (`asyncio.run`), which suits batch
commands and keeps the rest of the code synchronous; when the calling thread already has an event
loop (async callers, or a library such as Playwright's sync API that leaves its loop set), the
connection runs on a worker thread instead, since `asyncio.run` refuses to nest. Uploads go to a
dot-prefixed temporary name and are renamed when complete, so the clearinghouse never picks up a
partial file.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import asyncssh

from openmso.rcm.claims.x837 import Envelope


def _run_to_completion(coroutine):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sftp") as worker:
        return worker.submit(asyncio.run, coroutine).result()


@dataclass
class SftpDrop:
    host: str
    port: int
    username: str
    envelope: Envelope
    password: str | None = None
    client_keys: list[str] | None = None
    known_hosts: str | None = None  # path of a known_hosts file; None accepts any host key (tests only)
    outbound_dir: str = "outbound"
    inbound_dir: str = "inbound"
    processed_dir: str = "inbound/processed"
    name: str = "sftp"

    @classmethod
    def from_url(cls, url: str, envelope: Envelope, **options) -> SftpDrop:
        """sftp://user[:password]@host[:port][/base]; the base directory holds outbound/ and inbound/."""
        parts = urlsplit(url)
        base = parts.path.strip("/")
        prefix = f"{base}/" if base else ""
        return cls(parts.hostname or "localhost", parts.port or 22, unquote(parts.username or ""), envelope,
                   password=unquote(parts.password) if parts.password else None,
                   outbound_dir=f"{prefix}outbound", inbound_dir=f"{prefix}inbound",
                   processed_dir=f"{prefix}inbound/processed", **options)

    def _connect(self):
        return asyncssh.connect(self.host, self.port, username=self.username, password=self.password,
                                client_keys=self.client_keys, known_hosts=self.known_hosts)

    async def _run(self, work):
        async with self._connect() as connection, connection.start_sftp_client() as sftp:
            return await work(sftp)

    def send(self, filename: str, content: bytes) -> None:
        async def work(sftp):
            partial = f"{self.outbound_dir}/.{filename}.part"
            async with sftp.open(partial, "wb") as handle:
                await handle.write(content)
            await sftp.posix_rename(partial, f"{self.outbound_dir}/{filename}")

        _run_to_completion(self._run(work))

    def inbound(self) -> list[str]:
        async def work(sftp):
            names = []
            for entry in await sftp.readdir(self.inbound_dir):
                if not entry.filename.startswith(".") and entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR:
                    names.append(entry.filename)
            return sorted(names)

        return _run_to_completion(self._run(work))

    def read(self, name: str) -> bytes:
        async def work(sftp):
            async with sftp.open(f"{self.inbound_dir}/{name}", "rb") as handle:
                return await handle.read()

        return _run_to_completion(self._run(work))

    def done(self, name: str) -> None:
        async def work(sftp):
            await sftp.makedirs(self.processed_dir, exist_ok=True)
            await sftp.posix_rename(f"{self.inbound_dir}/{name}", f"{self.processed_dir}/{name}")

        _run_to_completion(self._run(work))
