"""The command lines: argument parsing and wiring only. `python generate.py` / `python deploy.py`
at the project root and the installed `stackyard-generate` / `stackyard-deploy` run these."""
