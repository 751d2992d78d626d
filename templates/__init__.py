"""Template modules: one per stack, each a pure `build(config) -> StackTemplates`."""

from templates import database, network, storage

# The order stacks are listed in; deploy order is derived from their imports and exports.
STACK_MODULES = (network, database, storage)
