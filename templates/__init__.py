"""The stacks: one module each, a pure `build(config) -> StackTemplates`.

A stack module imports `templates.names` (every name stacks share), `templates.parts` (the helpers they
share) and stackyard's config and base modules, never another stack (tests/unit/test_architecture.py).
"""

from templates import (
    alerts,
    auth,
    ci,
    compute,
    containers,
    dashboard,
    database,
    edge,
    edge_global,
    functions,
    messaging,
    network,
    roles,
    storage,
    tables,
)

# The order stacks are listed in; deploy order is derived from their imports and exports.
STACK_MODULES = (
    network,
    storage,
    alerts,
    messaging,
    auth,
    database,
    tables,
    functions,
    roles,
    compute,
    containers,
    edge_global,
    edge,
    dashboard,
    ci,
)
