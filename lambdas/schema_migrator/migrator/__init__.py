"""The schema migrator's modules; handler.py beside this package is Lambda's entry point.

The modules import each other relatively, so the package works under any name: Lambda imports it as
`migrator` (the package's folder is the zip's root), the in-process tests load it from its folder
(tests/helpers/postgres.py).
"""
