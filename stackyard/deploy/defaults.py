"""What a deploy run takes when the command line names no environment. Apart from run.py, whose
imports (boto3, rich, the whole pipeline) `deploy.py --help` must not pay for (docs/performance.md)."""

DEFAULT_ENV = "dev"
ENV_VARIABLE = "STACKYARD_ENV"
