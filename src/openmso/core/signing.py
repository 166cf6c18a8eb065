"""The MSO's signing key: an Ed25519 key that signs what the platform hands over (a practice's exit
package manifest), so the receiver can prove later what it was given and that nothing was changed.

Kept as a PEM file (PKCS#8, mode 0600) under the var directory, made at the first export, or named
by `OPENMSO_SIGNING_KEY_FILE` where keys live elsewhere (a mounted secret: never made there, so a
missing mount is an error, not a new key). Ed25519 because signatures are small and deterministic
and `openssl pkeyutl -verify -rawin` checks them with no OpenMSO code. The fingerprint (SHA-256 of
the 32 raw public key bytes) is what a practice compares with the one the MSO publishes; a valid
signature by another key proves nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from openmso.core.durable import fsync_path
from openmso.core.errors import OpenMSOError

KEY_FILE = Path("keys") / "signing-ed25519.pem"
ENVIRONMENT = "OPENMSO_SIGNING_KEY_FILE"
log = logging.getLogger(__name__)


class SigningKeyError(OpenMSOError):
    title = "Signing key unavailable"
    type_slug = "signing-key"


def key_path(var_dir: Path) -> Path:
    return Path(os.environ.get(ENVIRONMENT) or Path(var_dir) / KEY_FILE)


def load(var_dir: Path) -> Ed25519PrivateKey | None:
    """The MSO's key, or None when none was made yet; `SigningKeyError` when the file is unusable."""
    path = key_path(var_dir)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SigningKeyError(f"the signing key {path} cannot be read ({error.strerror})") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise SigningKeyError(f"the signing key {path} is not a usable unencrypted PEM key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the signing key {path} is not an Ed25519 key")
    return key


def load_or_create(var_dir: Path) -> Ed25519PrivateKey:
    """The MSO's key, made the first time under the var directory (never where `OPENMSO_SIGNING_KEY_FILE`
    points). Made whole in a temporary file and linked into place, so a second process sees no key or
    the whole key, and of two processes making one at once, both use the one linked first."""
    key = load(var_dir)
    if key is not None:
        return key
    path = key_path(var_dir)
    if os.environ.get(ENVIRONMENT):
        raise SigningKeyError(f"{ENVIRONMENT} names {path}, which does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-", suffix=".pem")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process linked its key first: that one is the MSO's
            return load(var_dir)
    finally:
        os.unlink(temporary)
    fsync_path(path.parent)
    log.warning("made a new signing key %s, fingerprint %s", path, fingerprint(key))
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """"SHA256:" and the hex SHA-256 of the 32 raw public key bytes, in groups of four for reading aloud
    (without OpenMSO: `openssl pkey -pubin -in signing-key.pem -outform DER | tail -c 32 | sha256sum`)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    digest = hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    text = digest.hexdigest()
    return "SHA256:" + " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def read_public(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from a file holding exactly one PEM block; ValueError for anything else."""
    text = pem.strip()
    if not text.startswith(b"-----BEGIN PUBLIC KEY-----") or not text.endswith(b"-----END PUBLIC KEY-----") \
            or text.count(b"-----BEGIN") != 1:
        raise ValueError("not exactly one PEM public key block")
    try:
        key = serialization.load_pem_public_key(pem)
    except UnsupportedAlgorithm as error:
        raise ValueError(f"unsupported key type ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def signature_valid(public: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
