"""The MSO's signing key: an Ed25519 key that signs what the platform hands over (a practice's exit
package manifest), so the receiver can prove later what it was given and that nothing was changed.

Kept as a PEM file (PKCS#8, mode 0600) under the var directory, made on first use, or named by
`OPENMSO_SIGNING_KEY_FILE` where keys live elsewhere (a mounted secret). Ed25519 because signatures
are small and deterministic and `openssl pkeyutl -verify -rawin` checks them with no OpenMSO code.
The fingerprint (SHA-256 of the raw public key) is what a practice compares with the one the MSO
publishes; a valid signature by another key proves nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = Path("keys") / "signing-ed25519.pem"


def key_path(var_dir: Path) -> Path:
    return Path(os.environ.get("OPENMSO_SIGNING_KEY_FILE") or Path(var_dir) / KEY_FILE)


def load_or_create(var_dir: Path) -> Ed25519PrivateKey:
    """The MSO's key, made (and written readable by its owner only) the first time it is asked for."""
    path = key_path(var_dir)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use that one
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            return key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """"SHA256:" and the hex SHA-256 of the 32 raw public key bytes, in groups of four for reading aloud."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    digest = hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    text = digest.hexdigest()
    return "SHA256:" + " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def read_public(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError for anything else."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def signature_valid(public: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
