"""The `openmso x12` command line: validate exit codes, summary JSON, pretty loop names."""

from __future__ import annotations

import json
from decimal import Decimal

from typer.testing import CliRunner

from openmso.x12.cli import app

runner = CliRunner()


def test_validate_passes_a_good_file_and_fails_a_bad_one_with_its_location(data_dir):
    good = runner.invoke(app, ["validate", str(data_dir / "lfh_835_medicare_part_a.835")])
    assert good.exit_code == 0 and "OK" in good.output
    bad = runner.invoke(app, ["validate", str(data_dir / "lfh_835_medicare_part_a.835"),
                              str(data_dir / "ims_999_accepted_bad_iea.txt")])
    assert bad.exit_code == 1
    assert "byte 282, segment 10 (IEA), element IEA02" in bad.output


def test_validate_reports_an_unbalanced_remittance(tmp_path, data_dir):
    text = (data_dir / "lfh_835_medicare_part_a.835").read_text().replace("CLP*777777*1*15000.00*11980.33",
                                                                           "CLP*777777*1*15000.00*11980.34")
    path = tmp_path / "unbalanced.835"
    path.write_text(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "claim 777777" in result.output and "BPR02" in result.output


def test_summary_json_has_the_835_facts(data_dir):
    result = runner.invoke(app, ["summary", str(data_dir / "lfh_835_medicare_part_a.835"), "--format", "json"])
    assert result.exit_code == 0
    [summary] = json.loads(result.output)
    assert summary["type"] == "835" and summary["control_number"] == "1234"
    assert summary["payer"] == "INSURANCE COMPANY OF TIMBUCKTU" and summary["payee_npi"] == "6543210903"
    assert summary["trace_number"] == "12345" and Decimal(summary["total_paid"]) == Decimal("150000.00")
    assert summary["claims"] == 2 and summary["service_lines"] == 0
    assert Decimal(summary["adjustments_by_group"]["CO"]) == Decimal("76368.24")
    assert Decimal(summary["provider_adjustments"]) == Decimal("-1.27")
    assert summary["balanced"] is True


def test_summary_table_and_pretty_show_loops(data_dir):
    table = runner.invoke(app, ["summary", str(data_dir / "ims_277ca_rejected.txt")])
    assert table.exit_code == 0 and "rejected_claims" in table.output
    pretty = runner.invoke(app, ["pretty", str(data_dir / "lfh_835_medicare_part_a.835")])
    assert pretty.exit_code == 0
    lines = pretty.output.splitlines()
    assert any(line.split()[:2] == ["2100", "CLP*666123*1*211366.97*138018.40**MA*1999999444444*11*1"]
               for line in lines)
    assert any(line.split()[0] == "1000B" and "N1*PE" in line for line in lines)
    assert any(line.split()[0] == "SUMMARY" and line.split()[1].startswith("PLB") for line in lines)
