"""Helpers the stack modules share (outputs and exports, tags, policies, grants, alarms, buckets ...).

Nothing here builds a stack: the top level of templates/ lists the stacks, this package what they
are built from. A part may import `templates.names`, other parts and stackyard's config and base
modules, never a stack module.
"""
