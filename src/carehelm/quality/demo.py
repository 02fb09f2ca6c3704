"""Demo step: compute the KPIs of the demo's activity and set a few typical targets.

Runs after the activity step (``demo.registry.EXTRA_STEPS``) inside the demo transaction, so the
dashboards are full the moment the demo opens.
"""

from __future__ import annotations

import logging

from carehelm.organization.models import Facility, UnitKind
from carehelm.quality import services
from carehelm.quality.models import KpiTarget
from carehelm.validation import InvalidInput

log = logging.getLogger(__name__)

# Facility-level targets a board would typically set (in each KPI's unit of measure).
FACILITY_TARGETS = {
    "readmission_rate_30d": (12.0, "Regional benchmark"),
    "ed_lwbs_rate": (2.0, "Emergency department standard"),
    "ed_los_median_minutes": (240.0, "Four-hour standard for the typical patient"),
    "occupancy_pct": (85.0, "Safe occupancy"),
}
UNIT_OCCUPANCY_TARGET = 85.0


def build(*, rng=None, today=None, scale: float = 1.0) -> None:
    try:
        result = services.rebuild_kpis(actor=None)
    except InvalidInput as exc:
        # The demo must open even if its activity has a row the KPI engine refuses; the quality
        # page then says there are no values, and the problem is in the log.
        log.warning("demo KPIs not computed: %s", exc.describe())
        return
    if not result["values"]:
        return
    for facility in Facility.objects.filter(kpi_values__isnull=False).distinct():
        for kpi, (value, note) in FACILITY_TARGETS.items():
            KpiTarget.objects.update_or_create(
                kpi=kpi, facility=facility, unit=None, defaults={"value": value, "note": note}
            )
        for unit in facility.units.filter(
            kind__in=[UnitKind.INPATIENT_WARD, UnitKind.ICU], staffed_beds__gt=0
        ):
            KpiTarget.objects.update_or_create(
                kpi="occupancy_pct",
                facility=facility,
                unit=unit,
                defaults={"value": UNIT_OCCUPANCY_TARGET, "note": "Safe occupancy"},
            )
