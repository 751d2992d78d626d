"""Pure unit: the outputs file a run writes (stackyard/deploy/outputs.py): stacks not in the run keep what
the file had, and the certificates' validation records merge per stack the same way."""

from __future__ import annotations

import json

from stackyard.deploy.outputs import write_outputs

RECORD = {"name": "_a.tap.example.com.", "type": "CNAME", "value": "_b.acm-validations.aws."}


def test_a_run_replaces_its_own_stacks_and_keeps_the_others(tmp_path):
    path = tmp_path / "outputs" / "poc.json"
    write_outputs(path, {"network": {"VpcId": "vpc-1"}, "edge": {"SiteUrl": "https://old"}})
    write_outputs(path, {"edge": {"SiteUrl": "https://new"}})
    assert json.loads(path.read_text()) == {"edge": {"SiteUrl": "https://new"}, "network": {"VpcId": "vpc-1"}}


def test_validation_records_of_stacks_not_in_the_run_are_kept(tmp_path):
    path = tmp_path / "poc.json"
    global_certificate = {"Certificate": {"domain": "tap.example.com", "status": "ISSUED", "records": [RECORD]}}
    api_certificate = {
        "ApiCertificate": {"domain": "api.tap.example.com", "status": "PENDING_VALIDATION", "records": []}
    }
    write_outputs(path, {"dns_validation": {"edge-global": global_certificate}})
    write_outputs(path, {"edge": {"SiteUrl": "https://tap.example.com"}, "dns_validation": {"edge": api_certificate}})
    assert json.loads(path.read_text())["dns_validation"] == {
        "edge-global": global_certificate,
        "edge": api_certificate,
    }
    write_outputs(path, {"edge": {"SiteUrl": "https://tap.example.com"}})  # a run that read no certificate
    assert set(json.loads(path.read_text())["dns_validation"]) == {"edge-global", "edge"}
