"""The guards CloudFormation enforces whoever deploys, and how deploy uses them (docs/deploy.md, "Guards").

| guard | decisions (pure) | calls |
|---|---|---|
| what a stack's guards found, as a value in its StackPlan | findings.py | - |
| stack policies: set, compared, overridden for one update | policies.py | PolicyKeeper |
| rollback triggers from the stack's own critical alarms, the monitoring window | triggers.py | - |
| drift: detected on a stack and its nested stacks, blocking a stateful update | drift.py | DriftDetector |
| the CloudFormation service role passed on every write | service_role.py | - |
| --no-rollback, and the recovery of an update it kept failed | no_rollback.py | - |
| the guards' command-line options, checked before anything runs | options.py | - |
| the hooks the planner and the appliers call | hooks.py | DeployGuards |

Only stackyard/aws/ calls AWS; these modules take its wrappers.
"""
