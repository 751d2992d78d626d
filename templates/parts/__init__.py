"""Helpers the stack modules share (outputs and exports, tags, policies, grants, alarms, buckets ...), and
the larger pieces of one stack, so a stack module reads as its decisions (e.g. the database stack's
engines and schema migrator: aurora, database_instance, database_server, schema_migrator); each such
part's docstring names its stack.

Nothing here builds a stack: the top level of templates/ lists the stacks, this package what they
are built from. A part may import `templates.names`, other parts and stackyard's config and base
modules, never a stack module.
"""
