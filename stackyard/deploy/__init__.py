"""The deploy machinery: planning that only reads, appliers that change AWS, and the run around them.

Where each decision lives (docs/architecture.md draws the flow, docs/deploy.md describes behaviour):

| decision | module |
|---|---|
| what a stack's status means, and what an unknown one is | status.py |
| what to do first about a stack an earlier run left stuck | recovery.py |
| whether a deployed stack is already what we would make it, and why not | unchanged.py |
| which changes of a change set lose data | risk.py |
| which exports an update would change, and who imports them | exports.py |
| whether a proposed change set may run | review.py |
| a stack's plan, as a frozen value | stack_plan.py |
| gathering the facts for a plan (reads, proposes change sets) | planner.py |
| whether a service's image is in ECR yet, and the push a first deploy ends with | container_images.py |
| the validation records of certificates whose domain's DNS is elsewhere | validation.py |
| carrying a plan out (ChangeApplier) or only showing it (DisplayOnlyApplier) | applier.py |
| every stack of an environment, in dependency order | deployment.py, scheduler.py |
| what a delete removes, empties and keeps, and when it is refused | delete_plan.py, delete_planner.py |
| carrying a delete out, or only showing it | deletion.py |
| the per-environment deploy lock | lock.py |
| Ctrl-C | interrupt.py |
| watching an operation, and explaining a failure | watch.py |
| uploading templates and Lambda packages | package.py, lambda_package.py, artifacts.py, bootstrap.py |
| the guards CloudFormation enforces whoever deploys: stack policies, rollback triggers, drift, the service role, --no-rollback | guards/ (its `__init__.py` maps each) |
| whether a deploy can end before the lock because nothing would change | precheck.py |
| what the last deploy left, so an unchanged stack needs no GetTemplate | record.py |
| which databases an update left waiting for a reboot | reboots.py |
| what a run is asked to do, checked before anything is read | request.py |
| the run end to end: checks before any change, outputs, exit code | run.py |

Only stackyard/aws/ calls boto3; this package holds no client of its own. Nothing is imported here,
so `import stackyard.deploy.status` loads only what it needs.
"""
