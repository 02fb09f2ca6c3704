"""HL7 v2 ADT messages: parse them into neutral :class:`AdtEvent` records, answer them with ACKs.

The parser is written directly against the HL7 v2 encoding rules rather than through a generic
library, because intake needs two things generic parsers do not give: tolerance of the mess real
feeds send, and errors that name the message, segment and field a person must fix.

Tolerated: segments ended by CR, LF or CRLF; a UTF-8 byte-order mark; MLLP framing bytes left
around a message; trailing spaces; batch envelopes (FHS/BHS/BTS/FTS); several messages in one
file; versions 2.1 to 2.9 (tested on 2.3, 2.5.1 and 2.8); missing optional segments and fields
(EVN, PV2, every optional field); sender-chosen encoding characters (MSH-2) and escape
sequences (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\``).

Refused, with an :class:`Hl7ParseError`: a message that does not start with MSH, a missing
message type (MSH-9), trigger (MSH-9.2, else EVN-1), control id (MSH-10), version (MSH-12) or
message time (MSH-7), a non-ADT message, an unsupported trigger, a missing PID or PID-3, a
missing PV1 on a visit event, and any date/time that is not an HL7 DTM.

Public API
----------
``parse_message(text, *, message_number=1, source=None, assume_tz=None) -> AdtEvent``
    One message. Raises :class:`Hl7ParseError` listing every problem found in it.
``parse_messages(text, *, source=None, assume_tz=None, on_progress=None) -> list[AdtEvent]``
    Every message in a text (a file's content, a batch). All or nothing: it returns every event
    or raises one :class:`Hl7ParseError` listing the problems of every bad message.
    ``on_progress(done, total)`` is called every 1,000 messages and at the end.
``parse_file(path, *, assume_tz=None, on_progress=None) -> list[AdtEvent]``
    The same for a file; errors are prefixed with the file name.
``split_messages(text) -> list[str]``
    Cut a text into messages (CR-terminated segments), dropping BOMs, MLLP bytes, batch segments.
``decode_hl7_bytes(data) -> str``
    Bytes from a file or socket to text: UTF-8 (BOM allowed), else Latin-1, never an exception.
``build_ack(message, *, code=None, text=None, error=None, ...) -> str``
    The ACK (AA) or NAK (AE/AR) answering a message, per HL7 v2: MSH, MSA (MSA-3 text up to
    v2.6, where the standard still carries it), and an ERR segment when there is an error
    (v2.5+ layout: ERR-2 location, ERR-3 HL7 table 0357 code, ERR-4 severity, ERR-8 text; the
    v2.3/2.4 ERR-1 layout before that).
``parse_hl7_datetime(value, *, assume_tz=None) -> datetime | None``
    An HL7 DTM (``YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]``).
``AdtEvent``, ``AdtVisit``, ``MergeRecord``
    The parsed records (patients and places use :mod:`carehelm.engines.interop.records`).
``Hl7Problem``, ``Hl7ParseError``
    A located problem (also used by the caller to NAK a refused but well-formed message) and the
    exception carrying one or more of them.
``TRIGGER_EVENTS``, ``HL7_ERROR_CODES``, ``ENCOUNTER_CLASS_BY_PATIENT_CLASS``
    The supported triggers, HL7 table 0357 and the PV1-2 → encounter class mapping.

Times: an HL7 time with an offset becomes an aware ``datetime``; one without stays naive unless
``assume_tz`` is given, in which case it is read in that zone. Mixing both in one feed makes the
events unorderable, so a listener should always pass the facility's zone.

The event's trigger is MSH-9.2; EVN-1 is only a fallback (it is deprecated since v2.5 and real
feeds often leave a stale value there). The effective time of an event is EVN-6 (when it
happened), else EVN-2 (when it was recorded), else MSH-7 (when the message was sent).

Pending location is PV1-42 (the standard's field); PV2-1 is the *prior* pending location and is
read as ``prior_pending_location``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from carehelm.engines.interop.records import BedLocation, Identifier, PatientRecord

#: Trigger events this reader accepts, with the meaning HL7 gives them.
TRIGGER_EVENTS: dict[str, str] = {
    "A01": "admit/visit notification",
    "A02": "transfer a patient",
    "A03": "discharge/end visit",
    "A04": "register a patient",
    "A05": "pre-admit a patient",
    "A06": "change an outpatient to an inpatient",
    "A07": "change an inpatient to an outpatient",
    "A08": "update patient information",
    "A11": "cancel admit/visit notification",
    "A12": "cancel transfer",
    "A13": "cancel discharge/end visit",
    "A14": "pending admit",
    "A15": "pending transfer",
    "A16": "pending discharge",
    "A17": "swap patients",
    "A21": "patient goes on a leave of absence",
    "A22": "patient returns from a leave of absence",
    "A25": "cancel pending discharge",
    "A26": "cancel pending transfer",
    "A27": "cancel pending admit",
    "A38": "cancel pre-admit",
    "A40": "merge patient - patient identifier list",
    "A47": "change patient identifier list",
}

#: Triggers whose message must carry a visit (PV1); the identity-only ones (A40, A47) need not.
VISIT_TRIGGERS = frozenset(TRIGGER_EVENTS) - {"A40", "A47"}

#: HL7 table 0357 (message error condition codes), used in ERR-3 and in Hl7Problem.error_code.
HL7_ERROR_CODES: dict[int, str] = {
    0: "Message accepted",
    100: "Segment sequence error",
    101: "Required field missing",
    102: "Data type error",
    103: "Table value not found",
    104: "Value too long",
    200: "Unsupported message type",
    201: "Unsupported event code",
    202: "Unsupported processing id",
    203: "Unsupported version id",
    204: "Unknown key identifier",
    205: "Duplicate key identifier",
    206: "Application record locked",
    207: "Application internal error",
}

#: PV1-2 patient class (HL7 table 0004) → Carehelm encounter class. Pre-admits (P) are for a
#: stay, obstetrics (B) is an inpatient stay; recurring patients (R) are outpatients. Commercial
#: accounts (C), not applicable (N) and unknown (U) count in no class. Observation is not in
#: table 0004; sites that send it use the local code "OBS" or "V" (observation visit).
ENCOUNTER_CLASS_BY_PATIENT_CLASS: dict[str, str] = {
    "I": "inpatient",
    "B": "inpatient",
    "P": "inpatient",
    "E": "emergency",
    "O": "outpatient",
    "R": "outpatient",
    "OBS": "observation",
    "V": "observation",
}

_SEX_BY_HL7_CODE = {"M": "male", "F": "female", "O": "other", "A": "other", "U": "unknown", "N": "unknown"}
_BATCH_SEGMENTS = frozenset({"FHS", "BHS", "BTS", "FTS"})
_SEGMENT_NAME = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_DTM = re.compile(
    r"^(?P<year>\d{4})(?P<month>\d{2})?(?P<day>\d{2})?(?P<hour>\d{2})?(?P<minute>\d{2})?"
    r"(?P<second>\d{2})?(?:\.(?P<fraction>\d{1,4}))?(?P<offset>[+-]\d{4})?$"
)
_VERSION = re.compile(r"^2\.\d+(\.\d+)?$")


# --------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Hl7Problem:
    """One located problem with a message.

    ``segment``/``field`` locate it (``"MSH"``, 9 → ``MSH-9``); ``error_code`` is from HL7 table
    0357 and ``ack_code`` is the acknowledgment it deserves: ``AR`` (rejected: the header is
    unusable or the message kind is unsupported) or ``AE`` (error in the content). The activity
    app builds one of these to NAK a well-formed message it refuses (an unknown visit is
    ``Hl7Problem("unknown visit 123", segment="PV1", field=19, error_code=204)``).
    """

    text: str
    segment: str | None = None
    field: int | None = None
    message_number: int | None = None
    source: str | None = None
    error_code: int = 207
    ack_code: str = "AE"
    segment_sequence: int = 1

    @property
    def location(self) -> str | None:
        if self.segment and self.field is not None:
            return f"{self.segment}-{self.field}"
        return self.segment

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.message_number is not None:
            parts.append(f"message {self.message_number}")
        if self.location:
            parts.append(self.location)
        parts.append(self.text)
        return ": ".join(parts)


class Hl7ParseError(ValueError):
    """Raised when one or more messages cannot be read; ``problems`` lists every one found."""

    def __init__(self, problems: Iterable[Hl7Problem]):
        self.problems: tuple[Hl7Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Hl7Problem:
        return self.problems[0]


# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class AdtVisit:
    """The visit part of an ADT message: PV1 and, when present, PV2."""

    visit_number: Identifier | None = None  # PV1-19
    patient_class: str | None = None  # PV1-2, as sent (HL7 table 0004)
    encounter_class: str | None = None  # PV1-2 mapped by ENCOUNTER_CLASS_BY_PATIENT_CLASS
    assigned_location: BedLocation | None = None  # PV1-3
    admission_type: str | None = None  # PV1-4
    prior_location: BedLocation | None = None  # PV1-6
    hospital_service: str | None = None  # PV1-10
    temporary_location: BedLocation | None = None  # PV1-11
    admit_source: str | None = None  # PV1-14
    patient_type: str | None = None  # PV1-18
    discharge_disposition: str | None = None  # PV1-36
    discharged_to_location: str | None = None  # PV1-37
    bed_status: str | None = None  # PV1-40 (HL7 table 0116)
    pending_location: BedLocation | None = None  # PV1-42
    prior_temporary_location: BedLocation | None = None  # PV1-43
    admitted_at: datetime | None = None  # PV1-44
    discharged_at: datetime | None = None  # PV1-45
    prior_pending_location: BedLocation | None = None  # PV2-1
    expected_admit_at: datetime | None = None  # PV2-8
    expected_discharge_at: datetime | None = None  # PV2-9


@dataclass(frozen=True)
class MergeRecord:
    """A PID/MRG pair (A40, A47, and the MRG of A06/A07): the surviving and the prior ids."""

    patient_identifiers: tuple[Identifier, ...]  # PID-3 of the surviving patient
    prior_identifiers: tuple[Identifier, ...]  # MRG-1
    prior_account_number: Identifier | None = None  # MRG-3
    prior_visit_number: Identifier | None = None  # MRG-5


@dataclass(frozen=True)
class AdtEvent:
    """One ADT message, read.

    ``message_number`` is its position (1-based) in the file or stream it came from; ``text``
    is the message with CR segment ends, kept to answer it and to log it.
    """

    message_control_id: str  # MSH-10
    version: str  # MSH-12
    trigger_event: str  # MSH-9.2 (else EVN-1)
    message_structure: str | None  # MSH-9.3
    message_datetime: datetime  # MSH-7
    recorded_at: datetime | None  # EVN-2
    occurred_at: datetime | None  # EVN-6
    patient: PatientRecord  # PID
    visit: AdtVisit | None = None  # PV1/PV2
    sending_application: str | None = None  # MSH-3
    sending_facility: str | None = None  # MSH-4
    receiving_application: str | None = None  # MSH-5
    receiving_facility: str | None = None  # MSH-6
    processing_id: str | None = None  # MSH-11
    event_type_code: str | None = None  # EVN-1, as sent
    planned_at: datetime | None = None  # EVN-3
    event_reason: str | None = None  # EVN-4
    event_facility: str | None = None  # EVN-7
    account_number: Identifier | None = None  # PID-18
    merges: tuple[MergeRecord, ...] = ()
    swap_patient: PatientRecord | None = None  # A17: the second PID
    swap_visit: AdtVisit | None = None  # A17: the second PV1
    message_number: int = 1
    text: str = field(default="", repr=False, compare=False)

    @property
    def effective_at(self) -> datetime:
        """When the event took effect: EVN-6, else EVN-2, else MSH-7."""
        return self.occurred_at or self.recorded_at or self.message_datetime

    @property
    def visit_number(self) -> Identifier | None:
        return self.visit.visit_number if self.visit else None


# --------------------------------------------------------------------------------------------
# Text handling


def decode_hl7_bytes(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), else Latin-1, which cannot fail.

    Latin-1 is the fallback because the feeds that are not UTF-8 are almost always 8859/1
    (MSH-18 ``8859/1``), and a message must reach the parser to be answered with a NAK.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _lines(text: str) -> list[str]:
    # MLLP bytes and BOMs can be left anywhere a frame or file was concatenated.
    cleaned = text.replace("\x0b", "\n").replace("\x1c", "\n").replace("\ufeff", "")
    return re.split(r"\r\n|\r|\n", cleaned)


def _message_blocks(text: str) -> tuple[list[list[str]], list[str]]:
    """Group lines into messages; return (messages, stray lines before the first MSH)."""
    blocks: list[list[str]] = []
    stray: list[str] = []
    for raw in _lines(text):
        line = raw.rstrip()
        if not line.strip():
            continue
        line = line.lstrip()
        name = line[:3]
        if name in _BATCH_SEGMENTS:
            continue
        if name == "MSH":
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        else:
            stray.append(line)
    return blocks, stray


def split_messages(text: str) -> list[str]:
    """Cut ``text`` into messages with CR segment ends; lines before the first MSH are dropped."""
    blocks, _ = _message_blocks(text)
    return ["\r".join(block) + "\r" for block in blocks]


@dataclass
class _Encoding:
    field_sep: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    def unescape(self, value: str) -> str:
        esc = self.escape
        if not esc or esc not in value:
            return value
        out: list[str] = []
        i = 0
        while i < len(value):
            ch = value[i]
            end = value.find(esc, i + 1) if ch == esc else -1
            if ch != esc or end == -1:
                out.append(ch)
                i += 1
                continue
            code = value[i + 1 : end]
            out.append(self._escape_meaning(code))
            i = end + 1
        return "".join(out)

    def _escape_meaning(self, code: str) -> str:
        simple = {
            "F": self.field_sep,
            "S": self.component,
            "T": self.subcomponent,
            "R": self.repetition,
            "E": self.escape,
            ".br": "\n",
        }
        if code in simple:
            return simple[code]
        if code.startswith("X") and len(code) > 1:
            try:
                return bytes.fromhex(code[1:]).decode("utf-8", errors="replace")
            except ValueError:
                return ""
        # Highlighting (H, N), character-set switches (C, M) and local escapes (Z) carry no text.
        return ""

    def escape_text(self, value: str) -> str:
        out = value.replace(self.escape, f"{self.escape}E{self.escape}")
        for char, code in (
            (self.field_sep, "F"),
            (self.component, "S"),
            (self.subcomponent, "T"),
            (self.repetition, "R"),
        ):
            out = out.replace(char, f"{self.escape}{code}{self.escape}")
        return out.replace("\r", " ").replace("\n", " ")


@dataclass
class _Segment:
    name: str
    fields: list[str]  # fields[n] is SEG-n; for MSH, fields[1] is the field separator
    sequence: int  # 1 for the first segment of this name in the message, 2 for the second...

    def raw(self, n: int) -> str:
        return self.fields[n].strip() if n < len(self.fields) else ""


def _read_segments(lines: list[str]) -> tuple[_Encoding, list[_Segment]]:
    header = lines[0]
    enc = _Encoding()
    if len(header) >= 4:
        enc.field_sep = header[3]
        chars = header[4:].split(enc.field_sep, 1)[0]
        enc.component = chars[0] if len(chars) > 0 else "^"
        enc.repetition = chars[1] if len(chars) > 1 else "~"
        enc.escape = chars[2] if len(chars) > 2 else "\\"
        enc.subcomponent = chars[3] if len(chars) > 3 else "&"
    counts: dict[str, int] = {}
    segments = []
    for line in lines:
        parts = line.split(enc.field_sep)
        name = parts[0]
        fields = ["MSH", enc.field_sep, *parts[1:]] if name == "MSH" else parts
        counts[name] = counts.get(name, 0) + 1
        segments.append(_Segment(name=name, fields=fields, sequence=counts[name]))
    return enc, segments


# --------------------------------------------------------------------------------------------
# Dates and times


def _offset(text: str) -> timezone:
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5])))


def parse_hl7_datetime(value: str, *, assume_tz: tzinfo | None = None) -> datetime | None:
    """An HL7 DTM/TS to a datetime; ``None`` for an empty value; ``ValueError`` if malformed.

    Missing parts default to the start of the period: ``202401`` is 2024-01-01 00:00. A value
    with an offset is aware; without one it is naive, or in ``assume_tz`` when given.
    """
    text = value.strip()
    if not text:
        return None
    match = _DTM.match(text)
    if not match:
        raise ValueError(f"invalid date/time {text!r} (expected YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ])")
    parts = match.groupdict()
    fraction = parts["fraction"] or ""
    try:
        stamp = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction.ljust(6, "0")) if fraction else 0,
        )
        if parts["offset"]:
            return stamp.replace(tzinfo=_offset(parts["offset"]))
    except ValueError as exc:
        raise ValueError(f"invalid date/time {text!r} ({exc})") from None
    return stamp.replace(tzinfo=assume_tz) if assume_tz else stamp


# --------------------------------------------------------------------------------------------
# Message reading


class _MessageReader:
    """Reads one message, collecting every problem instead of stopping at the first."""

    def __init__(self, lines: list[str], *, message_number: int, source: str | None, assume_tz):
        self.number = message_number
        self.source = source
        self.assume_tz = assume_tz
        self.problems: list[Hl7Problem] = []
        self.enc, self.segments = _read_segments(lines)

    # -- problem reporting ----------------------------------------------------------------
    def problem(
        self, text: str, segment: _Segment | str | None, field_no: int | None, code: int, ack: str = "AE"
    ) -> None:
        name = segment.name if isinstance(segment, _Segment) else segment
        sequence = segment.sequence if isinstance(segment, _Segment) else 1
        if isinstance(segment, _Segment) and segment.sequence > 1:
            # A repeated segment (the second PID of an A40) is named with its position.
            text = f"({name} #{segment.sequence}) {text}"
        self.problems.append(
            Hl7Problem(
                text=text,
                segment=name,
                field=field_no,
                message_number=self.number,
                source=self.source,
                error_code=code,
                ack_code=ack,
                segment_sequence=sequence,
            )
        )

    # -- field access -----------------------------------------------------------------------
    def repetitions(self, seg: _Segment, n: int) -> list[list[list[str]]]:
        """SEG-n as repetitions → components → subcomponents (raw, still escaped)."""
        raw = seg.raw(n)
        if not raw:
            return []
        if seg.name == "MSH" and n in (1, 2):
            return [[[raw]]]
        return [
            [component.split(self.enc.subcomponent) for component in rep.split(self.enc.component)]
            for rep in raw.split(self.enc.repetition)
        ]

    def text(self, seg: _Segment | None, n: int, component: int = 1, subcomponent: int = 1) -> str | None:
        """One leaf value of the first repetition, unescaped; None when empty."""
        if seg is None:
            return None
        reps = self.repetitions(seg, n)
        return self._leaf(reps[0] if reps else [], component, subcomponent)

    def _leaf(self, components: list[list[str]], component: int, subcomponent: int = 1) -> str | None:
        if component > len(components):
            return None
        subs = components[component - 1]
        if subcomponent > len(subs):
            return None
        value = self.enc.unescape(subs[subcomponent - 1]).strip()
        # '""' is HL7's explicit null ("delete the value"); for intake it means no value.
        return value if value and value != '""' else None

    def datetime(self, seg: _Segment | None, n: int) -> datetime | None:
        if seg is None:
            return None
        raw = self.text(seg, n)
        if raw is None:
            return None
        try:
            return parse_hl7_datetime(raw, assume_tz=self.assume_tz)
        except ValueError as exc:
            self.problem(str(exc), seg, n, 102)
            return None

    def hierarchic(self, seg: _Segment | None, n: int, component: int = 1) -> str | None:
        """An HD (or a component that is an HD): the namespace id, else the universal id."""
        if seg is None:
            return None
        return self.text(seg, n, component, 1) or self.text(seg, n, component, 2)

    def identifiers(self, seg: _Segment, n: int) -> tuple[Identifier, ...]:
        """A repeating CX field: id, assigning authority (CX-4), identifier type (CX-5)."""
        found = []
        for components in self.repetitions(seg, n):
            value = self._leaf(components, 1)
            if value is None:
                continue
            authority = self._leaf(components, 4, 1) or self._leaf(components, 4, 2)
            found.append(Identifier(value=value, authority=authority, type_code=self._leaf(components, 5)))
        return tuple(found)

    def location(self, seg: _Segment | None, n: int) -> BedLocation | None:
        """A PL field: point of care ^ room ^ bed ^ facility ^ status ^ type ^ building ^ floor ^ text."""
        if seg is None:
            return None
        reps = self.repetitions(seg, n)
        if not reps:
            return None
        comps = reps[0]
        place = BedLocation(
            point_of_care=self._leaf(comps, 1),
            room=self._leaf(comps, 2),
            bed=self._leaf(comps, 3),
            facility=self._leaf(comps, 4) or self._leaf(comps, 4, 2),
            location_type=self._leaf(comps, 6),
            building=self._leaf(comps, 7),
            floor=self._leaf(comps, 8),
            description=self._leaf(comps, 9),
        )
        return None if place.is_empty else place

    # -- segments -----------------------------------------------------------------------------
    def first(self, name: str) -> _Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    def read(self, text: str) -> AdtEvent | None:
        msh = self.segments[0]
        if msh.name != "MSH":
            self.problem("message does not start with an MSH segment", "MSH", None, 100, "AR")
            return None
        if len(msh.fields) < 3:
            self.problem("incomplete header (no encoding characters)", "MSH", 2, 101, "AR")
            return None
        for seg in self.segments:
            if not _SEGMENT_NAME.match(seg.name):
                self.problem(f"{seg.fields[0][:20]!r} is not an HL7 segment name", seg.name[:3], None, 100)

        message_type = self.text(msh, 9, 1)
        trigger = self.text(msh, 9, 2)
        structure = self.text(msh, 9, 3)
        evn = self.first("EVN")
        event_type_code = self.text(evn, 1)
        if message_type is None:
            self.problem("missing message type", msh, 9, 101, "AR")
        elif message_type != "ADT":
            self.problem(f"message type {message_type} is not ADT", msh, 9, 200, "AR")
        if trigger is None:
            trigger = event_type_code
        if message_type is not None and trigger is None:
            self.problem("missing trigger event (MSH-9.2, or EVN-1)", msh, 9, 101, "AR")
        elif trigger is not None and message_type == "ADT" and trigger not in TRIGGER_EVENTS:
            self.problem(f"unsupported trigger event {trigger}", msh, 9, 201, "AR")

        control_id = self.text(msh, 10)
        if control_id is None:
            self.problem("missing message control id", msh, 10, 101, "AR")
        version = self.text(msh, 12)
        if version is None:
            self.problem("missing version id", msh, 12, 101, "AR")
        elif not _VERSION.match(version):
            self.problem(f"unsupported version {version} (expected 2.x)", msh, 12, 203, "AR")
        message_datetime = self.datetime(msh, 7)
        already_reported = any(p.segment == "MSH" and p.field == 7 for p in self.problems)
        if message_datetime is None and not already_reported:
            self.problem("missing message date/time", msh, 7, 101, "AR")

        pids = [s for s in self.segments if s.name == "PID"]
        patient = None
        if not pids:
            self.problem("missing segment", "PID", None, 100)
        else:
            patient = self.patient(pids[0])
        pv1s = [s for s in self.segments if s.name == "PV1"]
        visit = self.visit(pv1s[0], self.first("PV2")) if pv1s else None
        if not pv1s and trigger in VISIT_TRIGGERS:
            self.problem(f"missing segment (required for {trigger})", "PV1", None, 100)

        swap_patient = swap_visit = None
        if trigger == "A17":
            if len(pids) < 2 or len(pv1s) < 2:
                self.problem("A17 needs a second PID and PV1 (the patient swapped with)", "PID", None, 100)
            else:
                swap_patient = self.patient(pids[1])
                swap_visit = self.visit(pv1s[1], None)

        recorded_at = self.datetime(evn, 2)
        occurred_at = self.datetime(evn, 6)
        planned_at = self.datetime(evn, 3)
        merges = self.merges()
        if self.problems:
            return None
        assert patient is not None and control_id and version and trigger and message_datetime
        return AdtEvent(
            message_control_id=control_id,
            version=version,
            trigger_event=trigger,
            message_structure=structure,
            message_datetime=message_datetime,
            recorded_at=recorded_at,
            occurred_at=occurred_at,
            patient=patient,
            visit=visit,
            sending_application=self.hierarchic(msh, 3),
            sending_facility=self.hierarchic(msh, 4),
            receiving_application=self.hierarchic(msh, 5),
            receiving_facility=self.hierarchic(msh, 6),
            processing_id=self.text(msh, 11),
            event_type_code=event_type_code,
            planned_at=planned_at,
            event_reason=self.text(evn, 4),
            event_facility=self.hierarchic(evn, 7),
            account_number=next(iter(self.identifiers(pids[0], 18)), None),
            merges=merges,
            swap_patient=swap_patient,
            swap_visit=swap_visit,
            message_number=self.number,
            text=text,
        )

    def patient(self, pid: _Segment) -> PatientRecord | None:
        identifiers = self.identifiers(pid, 3)
        if not identifiers:
            self.problem("missing patient identifier", pid, 3, 101)
            return None
        preferred = next((i for i in identifiers if i.type_code == "MR"), identifiers[0])
        birth = self.datetime(pid, 7)
        sex = self.text(pid, 8)
        postal_code = None
        for components in self.repetitions(pid, 11):
            postal_code = self._leaf(components, 5)
            if postal_code:
                break
        return PatientRecord(
            source_id=preferred.value,
            identifiers=identifiers,
            family_name=self.text(pid, 5, 1, 1),
            given_name=self.text(pid, 5, 2),
            birth_date=date(birth.year, birth.month, birth.day) if birth else None,
            sex=_SEX_BY_HL7_CODE.get(sex.upper()) if sex else None,
            postal_code=postal_code,
            deceased_at=self.datetime(pid, 29),
        )

    def visit(self, pv1: _Segment, pv2: _Segment | None) -> AdtVisit:
        patient_class = self.text(pv1, 2)
        return AdtVisit(
            visit_number=next(iter(self.identifiers(pv1, 19)), None),
            patient_class=patient_class,
            encounter_class=ENCOUNTER_CLASS_BY_PATIENT_CLASS.get(patient_class.upper())
            if patient_class
            else None,
            assigned_location=self.location(pv1, 3),
            admission_type=self.text(pv1, 4),
            prior_location=self.location(pv1, 6),
            hospital_service=self.text(pv1, 10),
            temporary_location=self.location(pv1, 11),
            admit_source=self.text(pv1, 14),
            patient_type=self.text(pv1, 18),
            discharge_disposition=self.text(pv1, 36),
            discharged_to_location=self.text(pv1, 37),
            bed_status=self.text(pv1, 40),
            pending_location=self.location(pv1, 42),
            prior_temporary_location=self.location(pv1, 43),
            admitted_at=self.datetime(pv1, 44),
            discharged_at=self.datetime(pv1, 45),
            prior_pending_location=self.location(pv2, 1),
            expected_admit_at=self.datetime(pv2, 8),
            expected_discharge_at=self.datetime(pv2, 9),
        )

    def merges(self) -> tuple[MergeRecord, ...]:
        found = []
        last_pid: _Segment | None = None
        for seg in self.segments:
            if seg.name == "PID":
                last_pid = seg
            elif seg.name == "MRG" and last_pid is not None:
                if last_pid.sequence > 1 and not self.identifiers(last_pid, 3):
                    # The first PID was already checked; later ones name the patients merged into.
                    self.problem("missing patient identifier", last_pid, 3, 101)
                found.append(
                    MergeRecord(
                        patient_identifiers=self.identifiers(last_pid, 3),
                        prior_identifiers=self.identifiers(seg, 1),
                        prior_account_number=next(iter(self.identifiers(seg, 3)), None),
                        prior_visit_number=next(iter(self.identifiers(seg, 5)), None),
                    )
                )
        return tuple(found)


def parse_message(
    text: str, *, message_number: int = 1, source: str | None = None, assume_tz: tzinfo | None = None
) -> AdtEvent:
    """Read one ADT message; raise :class:`Hl7ParseError` listing every problem in it."""
    blocks, stray = _message_blocks(text)
    if not blocks:
        raise Hl7ParseError(
            [Hl7Problem("no MSH segment found", "MSH", None, message_number, source, 100, "AR")]
        )
    if stray:
        text_before = f"text before the MSH segment: {stray[0][:40]!r}"
        raise Hl7ParseError([Hl7Problem(text_before, "MSH", None, message_number, source, 100, "AR")])
    if len(blocks) > 1:
        several = f"expected one message, found {len(blocks)} (use parse_messages for a batch)"
        raise Hl7ParseError([Hl7Problem(several, "MSH", None, message_number, source, 100, "AR")])
    return _parse_block(blocks[0], message_number=message_number, source=source, assume_tz=assume_tz)


def _parse_block(
    lines: list[str], *, message_number: int, source: str | None, assume_tz: tzinfo | None
) -> AdtEvent:
    reader = _MessageReader(lines, message_number=message_number, source=source, assume_tz=assume_tz)
    event = reader.read("\r".join(lines) + "\r")
    if event is None:
        raise Hl7ParseError(reader.problems)
    return event


def parse_messages(
    text: str,
    *,
    source: str | None = None,
    assume_tz: tzinfo | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[AdtEvent]:
    """Read every message in ``text``: all of them, or an error listing every bad message's problems.

    ``on_progress(done, total)`` is called every 1,000 messages and once at the end.
    """
    blocks, stray = _message_blocks(text)
    problems: list[Hl7Problem] = []
    if stray:
        problems.append(
            Hl7Problem(
                f"text before the first MSH segment: {stray[0][:40]!r}",
                source=source,
                error_code=100,
                ack_code="AR",
            )
        )
    if not blocks and not stray:
        problems.append(Hl7Problem("no HL7 message found", source=source, error_code=100, ack_code="AR"))
    events = []
    for number, lines in enumerate(blocks, start=1):
        try:
            events.append(_parse_block(lines, message_number=number, source=source, assume_tz=assume_tz))
        except Hl7ParseError as exc:
            problems.extend(exc.problems)
        if on_progress and (number % 1000 == 0 or number == len(blocks)):
            on_progress(number, len(blocks))
    if problems:
        raise Hl7ParseError(problems)
    return events


def parse_file(
    path: str | Path,
    *,
    assume_tz: tzinfo | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[AdtEvent]:
    """Read every message in a file (see :func:`parse_messages`); errors name the file."""
    path = Path(path)
    text = decode_hl7_bytes(path.read_bytes())
    return parse_messages(text, source=path.name, assume_tz=assume_tz, on_progress=on_progress)


# --------------------------------------------------------------------------------------------
# Acknowledgments


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (2, 5)


@dataclass
class _Header:
    """What an ACK needs from the message it answers, read leniently (it may be broken)."""

    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    control_id: str = ""
    processing_id: str = "P"
    version: str = "2.5"
    trigger: str = ""


def _lenient_header(message: str) -> _Header:
    blocks, _ = _message_blocks(message)
    header = _Header()
    if not blocks:
        return header
    enc, segments = _read_segments(blocks[0][:1])
    msh = segments[0]
    if msh.name != "MSH":
        return header

    def component_list(n: int) -> str:
        raw = msh.raw(n)
        if not raw:
            return ""
        first = raw.split(enc.repetition)[0].split(enc.component)
        parts = [enc.unescape(c.split(enc.subcomponent)[0]) for c in first]
        return "^".join(_STANDARD.escape_text(p) for p in parts).rstrip("^")

    def first_component(n: int) -> str:
        raw = msh.raw(n).split(enc.repetition)[0].split(enc.component)
        return enc.unescape(raw[0]) if raw else ""

    header.sending_application = component_list(3)
    header.sending_facility = component_list(4)
    header.receiving_application = component_list(5)
    header.receiving_facility = component_list(6)
    header.control_id = first_component(10)
    header.processing_id = first_component(11) or "P"
    version = first_component(12)
    header.version = version if _VERSION.match(version) else "2.5"
    nine = msh.raw(9).split(enc.component)
    header.trigger = enc.unescape(nine[1]) if len(nine) > 1 else ""
    return header


_STANDARD = _Encoding()


def build_ack(
    message: str | AdtEvent | None,
    *,
    code: str | None = None,
    text: str | None = None,
    error: Hl7Problem | Hl7ParseError | None = None,
    control_id: str | None = None,
    now: datetime | None = None,
    application: str | None = None,
    facility: str | None = None,
) -> str:
    """The acknowledgment answering ``message`` (its text, or a parsed event), CR-terminated.

    ``code`` is ``AA`` (accepted), ``AE`` (error: the content was refused) or ``AR`` (rejected:
    unsupported or unreadable); by default it is ``AA``, or the problem's own ack code when an
    ``error`` is given. The ACK swaps sender and receiver, echoes the trigger and version, and
    carries the original MSH-10 in MSA-2. A message too broken to read still gets an answer
    (MSA-2 is then empty, as the standard allows when the control id cannot be read).
    ``application``/``facility`` name us in MSH-3/MSH-4; by default they echo the original's
    receiving application and facility (MSH-5/MSH-6), else ``CAREHELM``.
    """
    problem = error.first if isinstance(error, Hl7ParseError) else error
    if code is None:
        code = problem.ack_code if problem else "AA"
    if code not in ("AA", "AE", "AR", "CA", "CE", "CR"):
        raise ValueError(f"ack code must be AA, AE or AR, not {code!r}")
    if problem is None and code not in ("AA", "CA"):
        problem = Hl7Problem(text or "message refused", error_code=207, ack_code=code)
    if text is None and problem is not None:
        text = str(Hl7Problem(problem.text, problem.segment, problem.field))

    raw = message.text if isinstance(message, AdtEvent) else (message or "")
    header = _lenient_header(raw)
    version = _version_tuple(header.version)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S%z")
    message_type = f"ACK^{header.trigger}^ACK" if header.trigger and version >= (2, 3, 1) else "ACK"
    if header.trigger and version < (2, 3, 1):
        message_type = f"ACK^{header.trigger}"
    esc = _STANDARD.escape_text
    msh = [
        "MSH",
        "^~\\&",
        esc(application) if application is not None else (header.receiving_application or "CAREHELM"),
        esc(facility) if facility is not None else header.receiving_facility,
        header.sending_application,
        header.sending_facility,
        stamp,
        "",
        message_type,
        esc(control_id or uuid.uuid4().hex[:20]),
        esc(header.processing_id),
        esc(header.version),
    ]
    segments = ["|".join(msh)]
    # MSA-3 (text message) is deprecated in v2.5 and withdrawn in v2.7: from then on the text
    # travels only in ERR-8.
    msa = ["MSA", code, esc(header.control_id)]
    if text and version < (2, 7):
        msa.append(esc(text))
    segments.append("|".join(msa))
    if problem is not None:
        code_text = HL7_ERROR_CODES.get(problem.error_code, "Application internal error")
        location = ""
        if problem.segment:
            location = f"{problem.segment}^{problem.segment_sequence}"
            if problem.field is not None:
                location += f"^{problem.field}"
        if version >= (2, 5):
            err = ["ERR", "", location, f"{problem.error_code}^{esc(code_text)}^HL70357", "E", "", "", ""]
            err.append(esc(text or problem.text))
        else:
            eld = [
                problem.segment or "",
                str(problem.segment_sequence) if problem.segment else "",
                str(problem.field) if problem.field is not None else "",
            ]
            err = ["ERR", "^".join([*eld, f"{problem.error_code}&{esc(code_text)}&HL70357"])]
        segments.append("|".join(err))
    return "\r".join(segments) + "\r"
