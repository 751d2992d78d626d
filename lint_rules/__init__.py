"""Stackyard's own cfn-lint rules: the guarantees of seed 001 (E9001-E9010) and seed 003's IAM rule (E9011).

cfn-lint loads every rule file here by path (`--append-rules lint_rules`) and skips names
starting with an underscore, such as this package's shared `_template_facts`.
"""
