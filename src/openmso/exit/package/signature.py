"""The manifest's signature: the MSO's Ed25519 signature of the exact bytes of `manifest.json`, and
the public key to check it with, written beside it once the manifest is final.

The manifest holds every other file's SHA-256, so the signature covers the whole package. The two
files are outside the manifest (they are about it). Anyone can check them without OpenMSO:

    openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin -in manifest.json -sigfile manifest.json.sig

and then compare the key's fingerprint with the one the MSO publishes (`openmso exit verify
--fingerprint`), since a package re-signed with another key would check too.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openmso.core import signing
from openmso.exit.package.manifest import MANIFEST

SIGNATURE = f"{MANIFEST}.sig"
PUBLIC_KEY = "signing-key.pem"
FILES = (SIGNATURE, PUBLIC_KEY)
MAX_BYTES = 4096  # read at most this much of either: an Ed25519 signature is 64 bytes, its PEM key 113


def sign(root: Path, key: Ed25519PrivateKey) -> str:
    """Sign the manifest written in `root`; returns the key's fingerprint."""
    signature = key.sign((root / MANIFEST).read_bytes())
    for name, data in ((SIGNATURE, signature), (PUBLIC_KEY, signing.public_pem(key))):
        with (root / name).open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return signing.fingerprint(key)


def normalized(fingerprint: str) -> str:
    """A fingerprint as compared: hex digits only, lower case ("SHA256:ab12 …" and "AB12…" alike)."""
    text = fingerprint.strip()
    text = text[len("SHA256:"):] if text.upper().startswith("SHA256:") else text
    return "".join(text.split()).lower()


def check(manifest: bytes, found: dict[str, bytes], expected_fingerprint: str | None) -> tuple[str | None, list[str]]:
    """(the signing key's fingerprint, the problems) for the manifest's bytes and the signature files
    `found` in the package (by name)."""
    missing = [name for name in FILES if name not in found]
    if missing:
        return None, [f"{name}: missing — the package is not signed" for name in missing]
    try:
        public = signing.read_public(found[PUBLIC_KEY])
    except ValueError as error:
        return None, [f"{PUBLIC_KEY}: not an Ed25519 public key in PEM ({error})"]
    fingerprint = signing.fingerprint(public)
    problems = []
    if not signing.signature_valid(public, manifest, found[SIGNATURE]):
        problems.append(f"{SIGNATURE}: the signature does not match {MANIFEST} (changed after it was signed)")
    if expected_fingerprint is not None and normalized(expected_fingerprint) != normalized(fingerprint):
        problems.append(f"{PUBLIC_KEY}: signed by the key {fingerprint}, not by the expected "
                        f"{expected_fingerprint.strip()}")
    return fingerprint, problems
