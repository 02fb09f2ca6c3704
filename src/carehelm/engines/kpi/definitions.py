"""The written definition of every KPI the engine computes.

The product shows these texts next to each number, and both the DuckDB engine and the pandas
reference implement exactly what is written here, so a definition is a contract, not a comment.

Conventions shared by all KPIs
------------------------------
* Times are naive wall-clock times of the facility (no time zone); a "day" is a calendar date.
* An event belongs to the day of its timestamp and to the period (day, ISO week starting Monday,
  calendar month) that contains that day. Periods are labelled by their first day; at the edges
  of the requested date range a period is cut to the days inside the range.
* Rows come at two levels: a facility (``unit`` is ``None``) and a unit of a facility.
* "Bedded" encounters are those of class ``inpatient`` or ``observation``: they occupy staffed
  beds, so they count in census, occupancy and transfers. Admissions, discharges, length of stay
  and readmissions count ``inpatient`` encounters only.
* Transfers between units inside one encounter keep it one stay (one admission, one discharge,
  one length of stay); only the unit-level census and transfer counts see the unit stays.

Midnight census
---------------
The census of day D is taken at the stroke of midnight that closes D (00:00 of D+1): a unit stay
counts when it began before that midnight and had not ended before it
(``start_time < midnight <= end_time``, an open stay having no end). So a patient admitted and
discharged on the same day counts 0 in every midnight census and adds 0 patient days (they still
count as an admission and a discharge, and their length of stay is their actual hours); a patient
discharged exactly at midnight is in the census of the day that midnight closes; a transfer at
exactly midnight counts once, in the unit the patient leaves. Stays still open count through the
last day of the range. Patient days = the sum of midnight censuses.

30-day all-cause readmission
----------------------------
* Index admission: an inpatient encounter discharged inside the period, excluding discharges
  with disposition died (``died``/``expired``/HL7 0112 ``20``), transferred to another acute
  hospital (``transfer_acute``/``02``), or left against medical advice (``left_ama``/``ama``/``07``),
  and excluding discharges whose 30 days of follow-up are not complete by ``as_of``
  (``discharge_time + 30 days > as_of``).
* Readmission: the patient has any inpatient admission (any facility in the data, any cause)
  with ``index discharge_time < admit_time <= index discharge_time + 30 days``. Planned
  readmissions cannot be identified from these fields and are therefore included.
* A readmission can itself be an index admission. The rate is attributed to the period and the
  unit of the index discharge (the encounter's ``unit``, its unit of discharge).

Emergency department
--------------------
ED visits are encounters of class ``emergency``; arrival is ``arrival_time`` (else ``admit_time``),
departure is ``departure_time`` (else ``discharge_time``); both belong to the arrival day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Dispositions that disqualify a discharge as an index admission for readmission: the engine's
# own words and their HL7 v2 table 0112 codes (compared case-insensitively, trimmed).
DISPOSITIONS_DIED = ("died", "expired", "20")
DISPOSITIONS_TRANSFER_ACUTE = ("transfer_acute", "02")
DISPOSITIONS_LEFT_AMA = ("left_ama", "ama", "07")
INDEX_EXCLUDED_DISPOSITIONS = DISPOSITIONS_DIED + DISPOSITIONS_TRANSFER_ACUTE + DISPOSITIONS_LEFT_AMA

# The shared conventions above, for the product to show next to the definitions.
KPI_CONVENTIONS = __doc__ or ""

ENCOUNTER_CLASSES = ("inpatient", "emergency", "outpatient", "observation")
BEDDED_CLASSES = ("inpatient", "observation")
READMISSION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class KpiDefinition:
    """What a KPI means, in the words the product shows next to the number."""

    name: str
    title: str
    numerator: str
    denominator: str
    exclusions: str
    source_fields: tuple[str, ...]
    unit_of_measure: str
    grains: tuple[str, ...] = ("day", "week", "month")
    levels: tuple[str, ...] = ("facility", "unit")

    def as_dict(self) -> dict:
        return asdict(self)


_ALL = (
    KpiDefinition(
        name="midnight_census",
        title="Midnight census",
        numerator="Unit stays of bedded (inpatient or observation) encounters in progress at the "
        "midnight closing the day: start_time < midnight <= end_time (open stays count).",
        denominator="None (a count).",
        exclusions="Emergency and outpatient encounters. Stays that begin and end on the same "
        "day (0 at every midnight).",
        source_fields=(
            "unit_stays.unit",
            "unit_stays.start_time",
            "unit_stays.end_time",
            "encounters.encounter_class",
            "encounters.facility",
        ),
        unit_of_measure="patients",
        grains=("day",),
    ),
    KpiDefinition(
        name="average_daily_census",
        title="Average daily census",
        numerator="Patient days: the sum of the midnight censuses of the days of the period.",
        denominator="Days of the period inside the requested range.",
        exclusions="As for midnight census.",
        source_fields=(
            "unit_stays.unit",
            "unit_stays.start_time",
            "unit_stays.end_time",
            "encounters.encounter_class",
        ),
        unit_of_measure="patients per day",
    ),
    KpiDefinition(
        name="occupancy_pct",
        title="Bed occupancy",
        numerator="Patient days (sum of midnight censuses) in units with staffed beds.",
        denominator="Staffed bed days: staffed beds of those units x days of the period in range.",
        exclusions="Units without a staffed-bed figure (no occupancy is shown for them, and the "
        "facility figure counts only units that have one).",
        source_fields=("unit_stays.*", "staffed_beds.staffed_beds"),
        unit_of_measure="%",
    ),
    KpiDefinition(
        name="admissions",
        title="Admissions",
        numerator="Inpatient encounters whose admit_time falls in the period, counted in the "
        "admitting unit (unit of the first unit stay, else the encounter's unit).",
        denominator="None (a count).",
        exclusions="Emergency, outpatient and observation encounters; transfers between units.",
        source_fields=("encounters.admit_time", "encounters.encounter_class", "unit_stays.unit"),
        unit_of_measure="admissions",
    ),
    KpiDefinition(
        name="discharges",
        title="Discharges",
        numerator="Inpatient encounters whose discharge_time falls in the period (deaths "
        "included), counted in the unit of discharge (encounters.unit).",
        denominator="None (a count).",
        exclusions="Encounters still in hospital; non-inpatient classes; transfers between units.",
        source_fields=("encounters.discharge_time", "encounters.unit", "encounters.encounter_class"),
        unit_of_measure="discharges",
    ),
    KpiDefinition(
        name="transfers_in",
        title="Transfers in",
        numerator="Changes of unit between consecutive unit stays (ordered by start_time) of one "
        "bedded encounter, counted in the receiving unit on the day the new stay starts. At "
        "facility level: all unit-to-unit transfers inside the facility.",
        denominator="None (a count).",
        exclusions="Bed moves inside the same unit; admissions; transfers to another hospital.",
        source_fields=("unit_stays.encounter_id", "unit_stays.unit", "unit_stays.start_time"),
        unit_of_measure="transfers",
    ),
    KpiDefinition(
        name="transfers_out",
        title="Transfers out",
        numerator="As transfers in, counted in the unit the patient leaves.",
        denominator="None (a count).",
        exclusions="Bed moves inside the same unit; discharges.",
        source_fields=("unit_stays.encounter_id", "unit_stays.unit", "unit_stays.start_time"),
        unit_of_measure="transfers",
    ),
    KpiDefinition(
        name="average_length_of_stay",
        title="Average length of stay",
        numerator="Sum over inpatient discharges of the period of (discharge_time - admit_time) "
        "in days (fractional; same-day stays count their hours).",
        denominator="Inpatient discharges of the period.",
        exclusions="Encounters still in hospital; non-inpatient classes.",
        source_fields=("encounters.admit_time", "encounters.discharge_time", "encounters.unit"),
        unit_of_measure="days",
    ),
    KpiDefinition(
        name="readmission_rate_30d",
        title="30-day all-cause readmission rate",
        numerator="Index discharges followed by any inpatient admission of the same patient "
        "with index discharge_time < admit_time <= discharge_time + 30 days.",
        denominator="Index discharges: inpatient discharges of the period, counted in the unit of discharge.",
        exclusions="Index: discharged dead, transferred to another acute hospital, left against "
        "medical advice; follow-up incomplete (discharge_time + 30 days after as_of). Planned "
        "readmissions are not identifiable and are counted.",
        source_fields=(
            "encounters.patient_id",
            "encounters.admit_time",
            "encounters.discharge_time",
            "encounters.discharge_disposition",
            "encounters.encounter_class",
        ),
        unit_of_measure="%",
    ),
    KpiDefinition(
        name="ed_los_median_minutes",
        title="ED length of stay, median",
        numerator="None (a statistic): median of (departure - arrival) in minutes, linear "
        "interpolation between order statistics.",
        denominator="ED visits arriving in the period that have departed and were seen.",
        exclusions="Visits still in the ED; visits that left without being seen.",
        source_fields=(
            "encounters.arrival_time",
            "encounters.departure_time",
            "encounters.left_without_being_seen",
            "encounters.unit",
        ),
        unit_of_measure="minutes",
    ),
    KpiDefinition(
        name="ed_los_p90_minutes",
        title="ED length of stay, 90th percentile",
        numerator="None (a statistic): 90th percentile of (departure - arrival) in minutes, "
        "linear interpolation between order statistics.",
        denominator="ED visits arriving in the period that have departed and were seen.",
        exclusions="Visits still in the ED; visits that left without being seen.",
        source_fields=(
            "encounters.arrival_time",
            "encounters.departure_time",
            "encounters.left_without_being_seen",
            "encounters.unit",
        ),
        unit_of_measure="minutes",
    ),
    KpiDefinition(
        name="ed_lwbs_rate",
        title="ED left without being seen",
        numerator="ED visits arriving in the period flagged left_without_being_seen.",
        denominator="All ED visits arriving in the period.",
        exclusions="None.",
        source_fields=("encounters.arrival_time", "encounters.left_without_being_seen", "encounters.unit"),
        unit_of_measure="%",
    ),
    KpiDefinition(
        name="bed_turnover",
        title="Bed turnover",
        numerator="Unit: inpatient discharges from the unit plus transfers out of it. Facility: "
        "inpatient discharges from units with staffed beds.",
        denominator="Average staffed beds over the period (staffed bed days / days).",
        exclusions="Units without a staffed-bed figure.",
        source_fields=("encounters.discharge_time", "unit_stays.*", "staffed_beds.staffed_beds"),
        unit_of_measure="patients per bed",
    ),
)

KPI_DEFINITIONS: dict[str, KpiDefinition] = {d.name: d for d in _ALL}
