"""The manifest is signed with the MSO's Ed25519 key: `exit verify` checks the signature and, given the
published fingerprint, the key; OpenSSL checks the same signature without OpenMSO; any change to the
manifest after signing, a missing signature or another key is named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from openmso.cli import app
from openmso.core import signing
from openmso.exit.package import signature
from openmso.exit.verify import verify
from tests.conftest import skip_or_fail
from tests.exit.conftest import build_shared_network

RESIGN = ["manifest.json.sig", "signing-key.pem"]


@pytest.fixture
def key(tmp_path):
    return signing.load_or_create(tmp_path / "mso")


@pytest.fixture
def package(db, package_of, key):
    network = build_shared_network(db)
    return package_of(network.practices[0].id, signing_key=key)


def test_the_manifest_is_signed_by_the_msos_key_and_says_so(package, key):
    fingerprint = signing.fingerprint(key)
    assert package.signed_by == fingerprint
    assert package.manifest["signature"] == {"algorithm": "Ed25519", "key_fingerprint": fingerprint,
                                              "file": "manifest.json.sig", "public_key": "signing-key.pem"}
    manifest = (package.path / "manifest.json").read_bytes()
    public = signing.read_public((package.path / "signing-key.pem").read_bytes())
    assert signing.signature_valid(public, manifest, (package.path / "manifest.json.sig").read_bytes())
    assert fingerprint in (package.path / "README.txt").read_text()
    report = verify(package.path, fingerprint)
    assert report.ok, report.problems
    assert report.signed_by == fingerprint
    assert verify(package.path, fingerprint.removeprefix("SHA256:").replace(" ", "").upper()).ok


def test_openssl_checks_the_signature_without_openmso(package):
    openssl = shutil.which("openssl")
    if openssl is None:
        skip_or_fail("openssl is not installed")
    command = [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "signing-key.pem", "-rawin",
               "-in", "manifest.json", "-sigfile", "manifest.json.sig"]
    good = subprocess.run(command, cwd=package.path, capture_output=True, text=True)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good.stdout + good.stderr
    (package.path / "manifest.json").write_bytes((package.path / "manifest.json").read_bytes().replace(b"  ", b" ", 1))
    bad = subprocess.run(command, cwd=package.path, capture_output=True, text=True)
    assert bad.returncode != 0


def test_a_manifest_changed_after_signing_fails_on_the_signature_alone(package):
    path = package.path / "manifest.json"
    document = json.loads(path.read_bytes())
    document["practice"]["legal_name"] = "Someone Else, PLLC"  # every file hash still matches
    path.write_text(json.dumps(document, indent=2) + "\n")
    report = verify(package.path)
    assert report.problems == ["manifest.json.sig: the signature does not match manifest.json "
                               "(changed after it was signed)"]


def test_a_package_re_signed_with_another_key_fails_only_against_the_published_fingerprint(package, key):
    other = Ed25519PrivateKey.generate()
    signature.sign(package.path, other)
    assert verify(package.path).signed_by == signing.fingerprint(other)  # valid, but not the MSO's
    report = verify(package.path, signing.fingerprint(key))
    assert report.problems == [f"signing-key.pem: signed by the key {signing.fingerprint(other)}, not by the "
                               f"expected {signing.fingerprint(key)}"]


def test_a_missing_signature_or_key_is_named(package):
    for name in RESIGN:
        (package.path / name).unlink()
    assert verify(package.path).problems == [f"{name}: missing — the package is not signed" for name in RESIGN]
    (package.path / "signing-key.pem").write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    (package.path / "manifest.json.sig").write_bytes(b"x" * 64)
    [problem] = verify(package.path).problems
    assert problem.startswith("signing-key.pem: not an Ed25519 public key in PEM")


def test_a_signed_zip_verifies_and_a_swapped_signature_inside_it_fails(db, package_of, key, tmp_path):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id, name="zipped", archive="zip", signing_key=key)
    assert verify(result.path, signing.fingerprint(key)).ok
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(result.path) as source, zipfile.ZipFile(forged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, bytes(64) if info.filename == "manifest.json.sig" else data)
    assert verify(forged).problems == ["manifest.json.sig: the signature does not match manifest.json "
                                       "(changed after it was signed)"]


def test_the_key_is_made_once_readable_by_its_owner_only_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENMSO_SIGNING_KEY_FILE")
    first = signing.load_or_create(tmp_path)
    path = tmp_path / "keys" / "signing-ed25519.pem"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert signing.fingerprint(signing.load_or_create(tmp_path)) == signing.fingerprint(first)
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError):
        signing.load_or_create(tmp_path)


def test_the_command_line_prints_the_key_and_verify_takes_the_fingerprint(cli_sessions, tmp_path, signing_key_file):
    from benchmarks.exit_data import populate  # noqa: PLC0415 - a bulk practice for the command line

    populate(str(cli_sessions.kw["bind"].url), patients=5, claims=5)
    runner = CliRunner()
    printed = runner.invoke(app, ["exit", "signing-key"])
    assert printed.exit_code == 0, printed.output
    published = signing.fingerprint(signing.load_or_create(tmp_path))
    assert "BEGIN PUBLIC KEY" in printed.output and f"fingerprint: {published}" in printed.output
    out = tmp_path / "package"
    assert runner.invoke(app, ["exit", "package", "1", "--out", str(out)]).exit_code == 0
    checked = runner.invoke(app, ["exit", "verify", str(out), "--fingerprint", published])
    assert checked.exit_code == 0 and "signed by the key" in checked.output, checked.output
    wrong = runner.invoke(app, ["exit", "verify", str(out), "--fingerprint", "SHA256:" + "0" * 64])
    assert wrong.exit_code == 1 and "not by the expected" in wrong.output
