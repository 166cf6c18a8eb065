"""The manifest's signature: the MSO's Ed25519 signature of the exact bytes of `manifest.json`, and
the public key to check it with, written beside it once the manifest is final.

The manifest holds every other file's SHA-256 and names the signing key's fingerprint, so the
signature covers the whole package. The two files are outside the manifest (they are about it).
Anyone can check them without OpenMSO:

    openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin -in manifest.json -sigfile manifest.json.sig

and then compare the key's fingerprint with the one the MSO publishes (`openmso exit verify
--fingerprint`), since a package re-signed with another key would check too. Packages of format
version 1 were made before manifests were signed: unsigned, which is said, not failed, unless a
fingerprint is expected.
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
MAX_BYTES = 4096  # an Ed25519 signature is 64 bytes, its PEM public key 113
FIRST_SIGNED_VERSION = 2


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


def check(manifest: bytes, document: dict, found: dict[str, bytes],
          expected_fingerprint: str | None) -> tuple[str | None, list[str]]:
    """(the fingerprint of the key whose signature of the manifest checks, or None; the problems) for the
    manifest's bytes and parsed `document` and the signature files `found` in the package (by name, read
    up to MAX_BYTES + 1)."""
    missing = [name for name in FILES if name not in found]
    if missing:
        unsigned_kind = document.get("format_version") == FIRST_SIGNED_VERSION - 1 and len(missing) == len(FILES)
        if unsigned_kind and expected_fingerprint is None:
            return None, []
        why = "made before manifests were signed" if unsigned_kind else "the package is not signed"
        return None, [f"{name}: missing — {why}" for name in missing]
    too_large = [f"{name}: larger than {MAX_BYTES} bytes, not a signature file" for name in FILES
                 if len(found[name]) > MAX_BYTES]
    if too_large:
        return None, too_large
    try:
        public = signing.read_public(found[PUBLIC_KEY])
    except ValueError as error:
        return None, [f"{PUBLIC_KEY}: not an Ed25519 public key in PEM ({error})"]
    fingerprint = signing.fingerprint(public)
    if not signing.signature_valid(public, manifest, found[SIGNATURE]):
        return None, [f"{SIGNATURE}: the signature does not match {MANIFEST} and {PUBLIC_KEY} "
                      "(one of them was changed after signing)"]
    problems = []
    block = document.get("signature")
    named = block.get("key_fingerprint") if isinstance(block, dict) else None
    if named is None or normalized(str(named)) != normalized(fingerprint):
        problems.append(f"{MANIFEST}: names the signing key {named}, but {fingerprint} signed it")
    if expected_fingerprint is not None and normalized(expected_fingerprint) != normalized(fingerprint):
        problems.append(f"{PUBLIC_KEY}: signed by the key {fingerprint}, not by the expected "
                        f"{expected_fingerprint.strip()}")
    return fingerprint, problems
