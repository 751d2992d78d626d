"""Template modules: one per stack, each a pure `build(config) -> StackTemplates`."""

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
