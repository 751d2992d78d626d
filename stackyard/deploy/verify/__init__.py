"""Verify: the checks the seeds' test plans ask for, run against a deployed environment.

`deploy.py verify --env X` (or `deploy --verify`) takes the environment's checks from its params
(stackyard/config/verify.py: the stacks imply most, `verify:` tunes them and adds the system's own),
reads the deployed stacks' outputs and resources, runs each check and prints a table of check,
result and evidence; any failure exits 1 (docs/deploy.md, "Verify").

| module | holds |
|---|---|
| probes.py | the network reads: HTTP(S) without following redirects, DNS, a TCP connect |
| context.py | what the checks read of the deployed environment: outputs, resources, their regions |
| checks.py | one function per kind of check, each returning a result with its evidence |
| runner.py | running an environment's checks, and the table |
"""
