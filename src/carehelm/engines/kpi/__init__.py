"""KPI engine: hospital activity KPIs computed with DuckDB from encounters and unit stays.

Public API::

    from carehelm.engines.kpi import compute_kpis, KPI_DEFINITIONS, KpiInputError

    rows = compute_kpis(encounters, unit_stays, staffed_beds={("General", "ICU"): 14},
                        grains=("day", "month"), on_progress=lambda k, n, label: ...)

``rows`` is a pandas DataFrame of tidy rows: grain, period, facility, unit (None at facility
level), kpi, numerator, denominator, value. ``KPI_DEFINITIONS[name]`` is the written definition
(numerator, denominator, exclusions, source fields, unit of measure) shown by the product;
``KPI_CONVENTIONS`` is the text of the shared conventions (midnight census, readmission rules,
ED times). Inputs may be DataFrames, Arrow tables or Parquet/CSV paths; bad
input raises :class:`KpiInputError` naming the source, row and field.
"""

from .definitions import KPI_CONVENTIONS, KPI_DEFINITIONS, KpiDefinition
from .engine import GRAINS, LEVELS, RESULT_COLUMNS, compute_kpis
from .sources import KpiInputError

__all__ = [
    "GRAINS",
    "KPI_CONVENTIONS",
    "KPI_DEFINITIONS",
    "LEVELS",
    "RESULT_COLUMNS",
    "KpiDefinition",
    "KpiInputError",
    "compute_kpis",
]
