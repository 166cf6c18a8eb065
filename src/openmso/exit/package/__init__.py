"""The exit package: one practice's records as FHIR R4 bulk data, CSV with a data dictionary, its
original X12 files (per-practice extracts of shared ones), agreements, reports, audit trail and
contract list, under a `manifest.json` that proves completeness and integrity.

`service.build_package` writes one; `openmso.exit.verify` checks one.
"""
