"""Loading: params files (stackyard/params.py) validated into one EnvironmentConfig per environment.

Every problem of every environment is reported at once, each with file:line, key path, what is
wrong and what is expected. What the templates need from the project's files is read here too,
so building templates reads none.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from stackyard.config.database import MIGRATIONS_PATTERN
from stackyard.config.environment import DERIVED_FIELDS, EnvironmentConfig, cross_checks
from stackyard.config.problems import problem_at, validation_problems
from stackyard.digests import folder_digest
from stackyard.errors import Location, ParamsError, ParamsProblem
from stackyard.params import KeyPath, environment_names, load_environment


def load_configs(params_dir: Path, envs: list[str] | None = None) -> dict[str, EnvironmentConfig]:
    """Every requested environment validated; one ParamsError carries all problems of all of them."""
    envs = envs if envs is not None else environment_names(params_dir)
    configs: dict[str, EnvironmentConfig] = {}
    problems: list[ParamsProblem] = []
    for env in envs:
        try:
            configs[env] = load_config(params_dir, env)
        except ParamsError as error:
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise ParamsError(problems)
    return configs


def load_config(params_dir: Path, env: str) -> EnvironmentConfig:
    """One environment validated, or ParamsError with all of its problems."""
    params = load_environment(params_dir, env)
    for key, message in DERIVED_FIELDS.items():
        if key in params.data:
            raise ParamsError([problem_at(params, (key,), message)])
    try:
        config = EnvironmentConfig.model_validate(
            {**params.data, "environment": env, "project_dir": params_dir.resolve().parent}
        )
    except ValidationError as error:
        raise ParamsError(validation_problems(params, error, EnvironmentConfig, DERIVED_FIELDS)) from None
    problems = cross_checks(config, params)
    if problems:
        raise ParamsError(problems)
    return config.model_copy(update={"migrations_sha256": _migrations_sha256(config)})


def locate(params_dir: Path, env: str, path: KeyPath) -> Location | None:
    """Where an environment's params set `path` (or its nearest written parent), read again for a problem
    found after validation, such as a stack listed in `stacks` without the stacks it needs."""
    return load_environment(params_dir, env).locate(path)


def _migrations_sha256(config: EnvironmentConfig) -> str | None:
    """The digest the schema migration resource carries, so new or changed files make it an Update."""
    database = config.database
    if "database" not in config.stacks or database is None or database.migrations is None:
        return None
    return folder_digest(config.project_dir / database.migrations, MIGRATIONS_PATTERN)
