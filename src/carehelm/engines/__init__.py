"""Pure-Python engines: rostering, spc, kpi, interop, simulation.

Nothing below this package may import Django (``tests/engines/test_purity.py`` enforces it), so
the solver, the statistics and the parsers run and test without a database and can be reused
by a worker on another machine.
"""
