"""Whatever bytes arrive, the readers answer with a result or a located error, never a crash."""

from hypothesis import given, settings
from hypothesis import strategies as st

from carehelm.engines.interop.hl7v2 import Hl7ParseError, build_ack, decode_hl7_bytes, parse_messages
from carehelm.engines.interop.mllp import FrameDecoder, encode_frame

GOOD = (
    "MSH|^~\\&|ADT|GEN|||20240301101500||ADT^A01^ADT_A01|C1|P|2.5\r"
    "EVN|A01|20240301101000\r"
    "PID|1||MRN7^^^HOSP^MR||DOE^JANE||19700102|F\r"
    "PV1|1|I|ICU^12^B^GEN|||||||||||||||||V100\r"
)

# Text built from the characters that matter to HL7, so mutations hit delimiters and escapes.
hl7ish = st.text(alphabet="MSHPIDVEN1|^~\\&\r\n\x0b\x1c\ufeff 0123456789A.+-#", max_size=400)


@settings(max_examples=300, deadline=None)
@given(hl7ish)
def test_any_text_parses_or_raises_a_located_hl7_error(text):
    try:
        parse_messages(text)
    except Hl7ParseError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        # Even then the sender gets a well-formed negative acknowledgment.
        ack = build_ack(text, error=exc)
        assert ack.startswith("MSH|^~\\&|") and "\rMSA|A" in ack


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), hl7ish)
def test_corrupting_a_good_message_never_crashes_the_parser(position, junk):
    text = GOOD[:position] + junk + GOOD[position:]
    try:
        parse_messages(text)
    except Hl7ParseError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_to_text(data):
    assert isinstance(decode_hl7_bytes(data), str)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="MSH|^~\\&PID\r0123456789 é", min_size=1, max_size=60), min_size=1, max_size=6),
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=50),
)
def test_frames_survive_any_split_of_the_byte_stream(messages, cuts):
    stream = b"".join(encode_frame(m) for m in messages)
    decoder = FrameDecoder()
    frames: list[bytes] = []
    position, i = 0, 0
    while position < len(stream):
        step = cuts[i % len(cuts)]
        frames += decoder.feed(stream[position : position + step])
        position += step
        i += 1
    assert [f.decode() for f in frames] == [m.replace("\n", "\r") for m in messages]
