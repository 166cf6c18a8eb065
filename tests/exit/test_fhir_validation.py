"""Every FHIR resource the package holds validates against the FHIR models of `fhir.resources`
(its R4B package: FHIR 4.3, the 4.x release it ships for pydantic 2; the resources exported here —
Claim, ExplanationOfBenefit, Coverage, Account… — have the same structure in R4 4.0.1)."""

from __future__ import annotations

import json

from fhir.resources.R4B import get_fhir_model_class

from tests.exit.conftest import build_shared_network


def test_every_exported_resource_validates_as_fhir(db, system, package_of):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id)
    seen: dict[str, int] = {}
    for entry in (e for e in result.manifest["files"] if e["kind"] == "fhir"):
        kind = entry["details"]["resource_type"]
        for line in (result.path / entry["path"]).read_text(encoding="utf-8").splitlines():
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            model = get_fhir_model_class(kind).model_validate(resource)
            assert model.id == resource["id"]
            seen[kind] = seen.get(kind, 0) + 1
    assert set(seen) == {"Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "Coverage",
                         "Account", "Claim", "ClaimResponse", "ExplanationOfBenefit"}


def test_a_resource_missing_a_required_element_is_refused_so_the_validation_is_real(db, package_of):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id)
    claim = json.loads((result.path / "fhir/Claim.ndjson").read_text().splitlines()[0])
    del claim["patient"]
    try:
        get_fhir_model_class("Claim").model_validate(claim)
    except ValueError as error:
        assert "patient" in str(error)
    else:
        raise AssertionError("a Claim without its patient was accepted")


def test_references_point_at_resources_in_the_package(db, package_of):
    network = build_shared_network(db)
    result = package_of(network.practices[0].id)
    ids, references = set(), set()
    for path in (result.path / "fhir").glob("*.ndjson"):
        for line in path.read_text().splitlines():
            resource = json.loads(line)
            ids.add(f"{resource['resourceType']}/{resource['id']}")
            references.update(_references(resource))
    assert references and references <= ids


def _references(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference":
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)
