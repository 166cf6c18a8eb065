"""The manifest is signed with the MSO's Ed25519 key: `exit verify` checks the signature, the key the
manifest names and, given the published fingerprint, the key itself; OpenSSL checks the same signature
without OpenMSO; a manifest changed after signing, a missing, foreign, oversized or malformed signature
file, and a member repeated inside an archive are each named. The key is made once, whole, and never
where a configured key file is missing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core import signing
from openmso.exit.package import signature
from openmso.exit.verify import verify
from tests.conftest import skip_or_fail
from tests.exit.conftest import build_shared_network

SIGNATURE_FILES = ["manifest.json.sig", "signing-key.pem"]
CHANGED = ("manifest.json.sig: the signature does not match manifest.json and signing-key.pem "
           "(one of them was changed after signing)")


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


@pytest.fixture
def package(db, package_of, key):
    network = build_shared_network(db)
    return package_of(network.practices[0].id, signing_key=key)


def test_the_manifest_is_signed_by_the_given_key_and_names_it(package, key):
    fingerprint = signing.fingerprint(key)
    assert package.signed_by == fingerprint
    assert package.manifest["format_version"] == 2
    assert package.manifest["signature"] == {"algorithm": "Ed25519", "key_fingerprint": fingerprint,
                                              "file": "manifest.json.sig", "public_key": "signing-key.pem"}
    manifest = (package.path / "manifest.json").read_bytes()
    public = signing.read_public((package.path / "signing-key.pem").read_bytes())
    assert signing.fingerprint(public) == fingerprint
    assert signing.signature_valid(public, manifest, (package.path / "manifest.json.sig").read_bytes())
    assert fingerprint in (package.path / "README.txt").read_text()
    report = verify(package.path, fingerprint)
    assert report.ok, report.problems
    assert report.signed_by == fingerprint
    assert verify(package.path, fingerprint.removeprefix("SHA256:").replace(" ", "").upper()).ok


def test_openssl_checks_the_signature_and_computes_the_fingerprint_without_openmso(package, key):
    openssl = shutil.which("openssl")
    if openssl is None:
        skip_or_fail("openssl is not installed")
    command = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "signing-key.pem", "-rawin",
               "-in", "manifest.json", "-sigfile", "manifest.json.sig"]
    good = subprocess.run(command, cwd=package.path, capture_output=True, text=True)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good.stdout + good.stderr
    der = subprocess.run([openssl, "pkey", "-pubin", "-in", "signing-key.pem", "-outform", "DER"],
                         cwd=package.path, capture_output=True, check=True).stdout
    assert signature.normalized(signing.fingerprint(key)) == hashlib.sha256(der[-32:]).hexdigest()
    manifest = package.path / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"  ", b" ", 1))
    assert subprocess.run(command, cwd=package.path, capture_output=True).returncode != 0


def test_a_manifest_changed_after_signing_fails_on_the_signature_alone(package):
    path = package.path / "manifest.json"
    document = json.loads(path.read_bytes())
    document["practice"]["legal_name"] = "Someone Else, PLLC"  # every file hash still matches
    path.write_text(json.dumps(document, indent=2) + "\n")
    report = verify(package.path)
    assert report.problems == [CHANGED] and report.signed_by is None


def test_another_key_is_caught_by_the_manifest_it_did_not_name_or_else_by_the_published_fingerprint(package, key):
    other = Ed25519PrivateKey.generate()
    signature.sign(package.path, other)  # the manifest still names the MSO's key
    assert verify(package.path).problems == [
        f"manifest.json: names the signing key {signing.fingerprint(key)}, but {signing.fingerprint(other)} "
        "signed it"]
    path = package.path / "manifest.json"
    document = json.loads(path.read_bytes())
    document["signature"]["key_fingerprint"] = signing.fingerprint(other)  # a forger rewrites it too
    path.write_text(json.dumps(document, indent=2) + "\n")
    signature.sign(package.path, other)
    forged = verify(package.path)
    assert forged.ok and forged.signed_by == signing.fingerprint(other)  # only the published key tells
    assert verify(package.path, signing.fingerprint(key)).problems == [
        f"signing-key.pem: signed by the key {signing.fingerprint(other)}, not by the expected "
        f"{signing.fingerprint(key)}"]


def test_missing_oversized_and_malformed_signature_files_are_named(package):
    for name in SIGNATURE_FILES:
        (package.path / name).unlink()
    assert verify(package.path).problems == [f"{name}: missing — the package is not signed" for name in SIGNATURE_FILES]
    (package.path / "manifest.json.sig").write_bytes(b"x" * 5000)
    (package.path / "signing-key.pem").write_bytes(signing.public_pem(Ed25519PrivateKey.generate()))
    assert verify(package.path).problems == ["manifest.json.sig: larger than 4096 bytes, not a signature file"]
    (package.path / "manifest.json.sig").write_bytes(b"x" * 64)
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    unusual = [b"-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
               ec_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
               b"hidden text\n" + signing.public_pem(Ed25519PrivateKey.generate())]
    for pem in unusual:
        (package.path / "signing-key.pem").write_bytes(pem)
        [problem] = verify(package.path).problems
        assert problem.startswith("signing-key.pem: not an Ed25519 public key in PEM"), problem


def test_a_package_made_before_signing_is_unsigned_not_failed_unless_a_key_is_expected(package, key):
    for name in SIGNATURE_FILES:
        (package.path / name).unlink()
    path = package.path / "manifest.json"
    document = json.loads(path.read_bytes())
    document["format_version"] = 1
    del document["signature"]
    path.write_text(json.dumps(document, indent=2) + "\n")
    report = verify(package.path)
    assert report.ok and report.signed_by is None
    assert verify(package.path, signing.fingerprint(key)).problems == [
        f"{name}: missing — made before manifests were signed" for name in SIGNATURE_FILES]


def _rewrite(source, target, kind: str, extra: tuple[str, bytes]) -> None:
    """The archive `source` again, with one more member appended (tar or zip)."""
    if kind == "zip":
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
            for info in old.infolist():
                new.writestr(info, old.read(info))
            new.writestr(extra[0], extra[1])
        return
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            new.addfile(member, old.extractfile(member))
        info = tarfile.TarInfo(extra[0])
        info.size = len(extra[1])
        new.addfile(info, io.BytesIO(extra[1]))


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_a_signed_archive_verifies_and_a_repeated_member_inside_it_fails(db, package_of, key, tmp_path, kind):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id, name="archived", archive=kind, signing_key=key)
    assert verify(result.path, signing.fingerprint(key)).ok
    forged_manifest = b'{"format": "openmso.exit-package", "files": []}'
    for name, data in (("manifest.json", forged_manifest), ("manifest.json.sig", bytes(64))):
        forged = tmp_path / f"forged-{name}.{kind}"
        _rewrite(result.path, forged, kind, (name, data))  # extracting would keep this later copy
        assert verify(forged).problems == [f"{name}: appears more than once in the archive"]


def test_the_key_is_made_once_whole_readable_by_its_owner_only_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv(signing.ENVIRONMENT, raising=False)
    assert signing.load(tmp_path) is None
    first = signing.load_or_create(tmp_path)
    path = tmp_path / "keys" / "signing-ed25519.pem"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing-ed25519.pem"]  # no temporary left
    assert signing.fingerprint(signing.load_or_create(tmp_path)) == signing.fingerprint(first)
    for broken in (b"", b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"):
        path.write_bytes(broken)
        with pytest.raises(signing.SigningKeyError, match="not a usable unencrypted PEM key"):
            signing.load_or_create(tmp_path)


def test_a_key_being_made_by_another_process_is_used_not_replaced(tmp_path, monkeypatch):
    """Two processes make a key at once: the one linked first is the MSO's, and the other process uses it."""
    monkeypatch.delenv(signing.ENVIRONMENT, raising=False)
    theirs = Ed25519PrivateKey.generate()
    real_link = os.link

    def link_after_theirs(source, target):
        with open(target, "wb") as handle:  # the other process's link lands first
            handle.write(theirs.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        real_link(source, target)

    monkeypatch.setattr(signing.os, "link", link_after_theirs)
    assert signing.fingerprint(signing.load_or_create(tmp_path)) == signing.fingerprint(theirs)
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["signing-ed25519.pem"]


def test_a_configured_key_file_that_is_missing_is_an_error_not_a_new_key(tmp_path, monkeypatch):
    missing = tmp_path / "mounted" / "mso.pem"
    monkeypatch.setenv(signing.ENVIRONMENT, str(missing))
    with pytest.raises(signing.SigningKeyError, match="does not exist"):
        signing.load_or_create(tmp_path)
    assert not missing.exists() and not (tmp_path / "keys").exists()


def test_the_command_line_prints_the_key_and_verify_takes_the_fingerprint(cli_sessions, cli_url, tmp_path):
    from benchmarks.exit_data import populate  # noqa: PLC0415 - a bulk practice for the command line

    populate(cli_url, patients=5, claims=5)
    runner = CliRunner()
    printed = runner.invoke(app, ["exit", "signing-key"])
    assert printed.exit_code == 0, printed.output
    published = signing.fingerprint(signing.load(tmp_path))  # cli_url keeps the var directory in tmp_path
    assert "BEGIN PUBLIC KEY" in printed.output and f"fingerprint: {published}" in printed.output
    out = tmp_path / "package"
    assert runner.invoke(app, ["exit", "package", "1", "--out", str(out)]).exit_code == 0
    checked = runner.invoke(app, ["exit", "verify", str(out), "--fingerprint", published])
    assert checked.exit_code == 0 and "signed by the key" in checked.output, checked.output
    wrong = runner.invoke(app, ["exit", "verify", str(out), "--fingerprint", "SHA256:" + "0" * 64])
    assert wrong.exit_code == 1 and "not by the expected" in wrong.output
    for name in SIGNATURE_FILES:  # as a package made before manifests were signed
        (out / name).unlink()
    document = json.loads((out / "manifest.json").read_bytes())
    document["format_version"] = 1
    (out / "manifest.json").write_text(json.dumps(document, indent=2) + "\n")
    unsigned = runner.invoke(app, ["exit", "verify", str(out)])
    assert unsigned.exit_code == 0 and "not signed (made before manifests were signed)" in unsigned.output
    (tmp_path / "keys" / "signing-ed25519.pem").write_bytes(b"broken")
    failed = runner.invoke(app, ["exit", "package", "1", "--out", str(tmp_path / "again")])
    assert failed.exit_code == 1 and "not a usable unencrypted PEM key" in failed.output
