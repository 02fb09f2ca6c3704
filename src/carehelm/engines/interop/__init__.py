"""Interop: patient-activity intake formats read into neutral records, without Django.

Three feeds describe patient activity; each reader turns its feed into the frozen dataclasses of
:mod:`~carehelm.engines.interop.records`, and the ``activity`` app applies them to the database.
Every reader is all or nothing: it returns every record of a file, or raises one error whose
``problems`` locate every fault (file, message/entry/row, segment/field/column).

Modules and their public API
----------------------------
:mod:`.records`
    ``Identifier``, ``BedLocation``, ``PatientRecord``, ``LocationStay``, ``EncounterRecord``,
    ``LocationRecord``, ``OrganizationRecord``, ``ProviderRecord``, ``ActivityBatch``,
    ``ENCOUNTER_CLASSES`` (inpatient, emergency, outpatient, observation).
:mod:`.hl7v2` — HL7 v2 ADT (A01-A08, A11-A17, A21, A22, A25-A27, A38, A40, A47; v2.3 to 2.8)
    ``parse_message(text) -> AdtEvent``, ``parse_messages(text) -> list[AdtEvent]``,
    ``parse_file(path) -> list[AdtEvent]``, ``split_messages(text)``, ``decode_hl7_bytes(data)``,
    ``build_ack(message, code=..., error=...) -> str`` (AA/AE/AR, MSA, ERR),
    ``parse_hl7_datetime(value)``; records ``AdtEvent`` (``effective_at`` = EVN-6, else EVN-2,
    else MSH-7), ``AdtVisit``, ``MergeRecord``; errors ``Hl7ParseError`` of ``Hl7Problem``
    (``"message 3: MSH-9: missing message type"``, each with its HL7 table 0357 code and the
    ack code it deserves).
:mod:`.mllp` — MLLP framing and a listener
    ``encode_frame(message)``, ``FrameDecoder().feed(data) -> list[bytes]``,
    ``MllpServer(handler, host=..., port=...)`` (``handler(message_text) -> ack_text``, applied
    one message at a time in arrival order; ``run()`` for ``carehelm adt listen``),
    ``send_message(host, port, message) -> ack_text``.
:mod:`.fhir_activity` — FHIR R4 Bundles (validated with ``fhir.resources.R4B``)
    ``read_bundle(data) -> ActivityBatch``, ``read_bundle_file(path) -> ActivityBatch``;
    errors ``FhirReadError`` of ``FhirProblem`` (entry index, resource, field path).
:mod:`.synthea_csv` — Synthea CSV exports
    ``read_synthea_csv(folder, on_progress=None) -> ActivityBatch``; errors ``SyntheaReadError``
    of ``SyntheaProblem`` (file, row, column).

Typical use by the activity app::

    from carehelm.engines.interop import hl7v2

    events = hl7v2.parse_file(path, assume_tz=facility_zone)  # or Hl7ParseError
    for event in sorted(events, key=lambda e: e.effective_at):
        ...  # apply; refuse with hl7v2.build_ack(event, error=hl7v2.Hl7Problem(...))
"""
