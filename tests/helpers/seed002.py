"""Test support: a small params set with seed 002's identity parts (§2.7 CI role, §2.8 Cognito).

`tap`, one environment `prod`: a files bucket (what CI grants name), Cognito with Google and the
server-side web app's client, and the GitHub Actions deploy role. Tests write it into a
temporary project and change it through prod.yaml, which is deep-merged over base.yaml.
"""

from __future__ import annotations

from pathlib import Path

import generate
from stackyard.errors import EXIT_BAD_INPUT

DOMAIN = "tap.example.com"
BASE = f"""\
app: tap
region: us-east-1
stacks: [storage, auth, ci]
retain_data: true
termination_protection: false
tags:
  cost_center: tap
  owner: platform@example.com
storage:
  access_logs_expire_after_days: 90
  buckets:
    files:
      purpose: CVs and transcripts
      versioned: true
auth:
  mfa: "OFF"
  access_token_hours: 1
  id_token_hours: 1
  refresh_token_days: 30
  clients:
    web:
      type: server
      callback_urls: [https://api.{DOMAIN}/auth/callback]
      logout_urls: [https://{DOMAIN}/login]
  google:
    client_id: 1234567890-abcdef.apps.googleusercontent.com
    client_secret: {{secret: tap/google-oauth, json_key: client_secret}}
  hosted_ui_prefix: tap-auth
  parameters:
    path: cognito
    client: web
ci:
  org: acme
  repo: talent-platform
  branches: [main]
  grants:
    - {{bucket: files, access: read}}
  statements:
    - actions: [bedrock:InvokeModel]
      resources: ["arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/anthropic.claude-*"]
"""


CREATES_PROVIDER = "ci:\n  create_provider: true\n"  # prod is the account's environment that creates it


def write_system(root: Path, prod: str = CREATES_PROVIDER, base_extra: str = "") -> Path:
    """The project folder with params/base.yaml (plus `base_extra`) and params/prod.yaml (`prod`
    deep-merged over the base)."""
    params = root / "params"
    params.mkdir(parents=True)
    (params / "base.yaml").write_text(BASE + base_extra)
    (params / "prod.yaml").write_text(prod)
    return params


def base_line(text: str) -> int:
    """The line of BASE that starts with `text` (after indentation)."""
    return next(number for number, line in enumerate(BASE.splitlines(), 1) if line.lstrip().startswith(text))


def refused(tmp_path: Path, monkeypatch, capsys, prod: str) -> list[str]:
    """The errors generate prints for the system with `prod` as prod.yaml, after checking it exits 2."""
    write_system(tmp_path, prod)
    monkeypatch.chdir(tmp_path)
    code = generate.main(["--params", "params", "--build-dir", "build", "--skip-lint"])
    errors = capsys.readouterr().err.splitlines()
    assert code == EXIT_BAD_INPUT, errors
    return errors[:-1]  # the last line counts the problems
