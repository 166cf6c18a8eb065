"""README.txt: what the practice finds in its package, in plain words, for whoever opens it first."""

from __future__ import annotations

from pathlib import Path

from openmso.exit.package.files import FileEntry, write_bytes

TEXT = """Exit package of {name} (practice {practice_id}), created {created} by {actor}.

This package holds every record the practice keeps on the OpenMSO platform, in open formats:

  fhir/        FHIR R4 bulk data (application/fhir+ndjson), one file per resource type, one resource a line:
               Organization (the practice and its payers), Location, Practitioner, PractitionerRole,
               Patient, Coverage, Account, Claim, ClaimResponse and ExplanationOfBenefit (from posted 835s).
  tables/      CSV (UTF-8, RFC 4180) of every table the practice owns, one file per table;
               data_dictionary.csv gives each column's type and meaning, tables.json each table's.
  x12/         The X12 files sent and received for the practice (837P, 999, 277CA, 835). A file that also
               held other practices' claims is given as this practice's extract ("practice-extract" in the
               name; the manifest keeps the SHA-256 of the file as received).
  agreements/  Every version of the management services agreement, as JSON.
  reports/     The due-diligence report of each agreement version, as JSON and PDF.
  audit/       The audit trail of the practice's data (hash-chained entries, CSV).
  contracts/   The payers and vendors the practice deals with and what happens to each contract at exit.

manifest.json lists every file with its SHA-256, size and record count, and the counts the database held
when the export began. Any SHA-256 tool checks a file against it; `openmso exit verify <package>` checks
the whole package and names any file that is missing, extra, altered or incomplete.

manifest.json.sig is the MSO's Ed25519 signature of manifest.json, and signing-key.pem its public key, with
the fingerprint {fingerprint}
(the SHA-256 of the key's 32 bytes: openssl pkey -pubin -in signing-key.pem -outform DER | tail -c 32 | sha256sum).
Compare that fingerprint with the one the MSO publishes, then check the signature with any OpenSSL 3:
  openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin -in manifest.json -sigfile manifest.json.sig
(`openmso exit verify <package> --fingerprint "<published fingerprint>"` does both.)
"""


def write_readme(root: Path, identity: dict, created: dict) -> FileEntry:
    text = TEXT.format(name=identity["legal_name"], practice_id=identity["id"], created=created["created_at"],
                       actor=created["created_by"]["username"], fingerprint=created["signature"]["key_fingerprint"])
    return write_bytes(root, "README.txt", "readme", text.encode("utf-8"))
