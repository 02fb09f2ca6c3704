"""MLLP framing and the listener, over a real localhost socket."""

import asyncio
import socket

import pytest

from carehelm.engines.interop.hl7v2 import Hl7ParseError, build_ack, parse_message
from carehelm.engines.interop.mllp import (
    FrameDecoder,
    MllpFramingError,
    MllpServer,
    encode_frame,
    send_message,
)

MESSAGE = (
    "MSH|^~\\&|ADT|GEN|CAREHELM|GEN|20240301101500||ADT^A01^ADT_A01|{control}|P|2.5.1\r"
    "EVN|A01|20240301101000\r"
    "PID|1||MRN7^^^HOSP^MR||DOE^JANE\r"
    "PV1|1|I|ICU^12^B\r"
)


def test_frame_is_start_block_message_end_block_cr_with_cr_segment_ends():
    frame = encode_frame("MSH|^~\\&|A\nPID|1\n")
    assert frame == b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r"


def test_decoder_reassembles_a_frame_split_across_reads():
    frame = encode_frame("MSH|^~\\&|Ä|B\r")
    decoder = FrameDecoder()
    got = []
    for i in range(len(frame)):  # one byte per read, the worst case TCP can deliver
        got += decoder.feed(frame[i : i + 1])
    assert got == ["MSH|^~\\&|Ä|B\r".encode()]
    assert decoder.pending_bytes == 0


def test_decoder_returns_every_frame_of_one_read_and_keeps_the_partial_one():
    a, b, c = (encode_frame(f"MSH|{n}") for n in "abc")
    decoder = FrameDecoder()
    assert decoder.feed(a + b + c[:4]) == [b"MSH|a", b"MSH|b"]
    assert decoder.feed(c[4:]) == [b"MSH|c"]


def test_decoder_skips_noise_between_frames_and_tolerates_missing_trailing_cr():
    decoder = FrameDecoder()
    assert decoder.feed(b"\r\n  \x0bMSH|1\x1c\x0bMSH|2\x1c\r") == [b"MSH|1", b"MSH|2"]
    assert decoder.skipped_bytes == 4  # CR, LF and two spaces


def test_decoder_restarts_on_a_start_block_inside_an_unfinished_frame():
    decoder = FrameDecoder()
    assert decoder.feed(b"\x0bMSH|broken\x0bMSH|whole\x1c\r") == [b"MSH|whole"]


def test_decoder_refuses_an_oversized_frame():
    decoder = FrameDecoder(max_frame_bytes=10)
    with pytest.raises(MllpFramingError, match="longer than 10 bytes"):
        decoder.feed(b"\x0b" + b"x" * 11)


def acknowledge(message: str) -> str:
    """What the activity app will do, minus the database: parse, then ACK or NAK."""
    try:
        event = parse_message(message)
    except Hl7ParseError as exc:
        return build_ack(message, error=exc)
    return build_ack(event)


def msa(ack: str) -> list[str]:
    line = next(s for s in ack.split("\r") if s.startswith("MSA|"))
    return line.split("|")


def test_listener_acks_good_and_naks_bad_messages_over_localhost():
    received: list[str] = []

    def handler(message: str) -> str:
        received.append(message)
        return acknowledge(message)

    async def scenario():
        server = MllpServer(handler, host="127.0.0.1", port=0)
        await server.start()
        try:
            good = MESSAGE.format(control="GOOD1")
            bad = MESSAGE.format(control="BAD1").replace("ADT^A01^ADT_A01", "ADT^A99")
            ack = await asyncio.to_thread(send_message, "127.0.0.1", server.port, good, timeout=5)
            nak = await asyncio.to_thread(send_message, "127.0.0.1", server.port, bad, timeout=5)
        finally:
            await server.close()
        return ack, nak

    ack, nak = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert msa(ack)[:3] == ["MSA", "AA", "GOOD1"]
    assert msa(nak)[:3] == ["MSA", "AR", "BAD1"]
    assert "201^Unsupported event code" in nak
    assert received[0] == MESSAGE.format(control="GOOD1")


def test_listener_answers_frames_sent_in_one_write_in_order_on_one_connection():
    order: list[str] = []

    def handler(message: str) -> str:
        order.append(parse_message(message).message_control_id)
        return acknowledge(message)

    async def scenario():
        server = MllpServer(handler, port=0)
        await server.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            payload = b"".join(encode_frame(MESSAGE.format(control=f"M{i}")) for i in range(5))
            writer.write(payload[:37])  # a partial first write, then the rest
            await writer.drain()
            writer.write(payload[37:])
            await writer.drain()
            decoder, acks = FrameDecoder(), []
            while len(acks) < 5:
                acks += decoder.feed(await reader.read(4096))
            writer.close()
            await writer.wait_closed()
        finally:
            await server.close()
        return [a.decode() for a in acks]

    acks = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert [msa(a)[2] for a in acks] == [f"M{i}" for i in range(5)]
    assert order == [f"M{i}" for i in range(5)]


def test_listener_naks_when_the_handler_fails_and_keeps_serving():
    calls = []

    def handler(message: str) -> str:
        calls.append(message)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return acknowledge(message)

    async def scenario():
        server = MllpServer(handler, port=0)
        await server.start()
        try:
            first = await asyncio.to_thread(
                send_message, "127.0.0.1", server.port, MESSAGE.format(control="R1")
            )
            second = await asyncio.to_thread(
                send_message, "127.0.0.1", server.port, MESSAGE.format(control="R1")
            )
        finally:
            await server.close()
        return first, second

    first, second = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert msa(first)[:3] == ["MSA", "AE", "R1"]
    assert msa(second)[:3] == ["MSA", "AA", "R1"]


def test_send_message_reports_a_closed_connection():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    async def scenario():
        async def close_at_once():
            conn, _ = await asyncio.to_thread(listener.accept)
            conn.close()

        closer = asyncio.create_task(close_at_once())
        with pytest.raises(ConnectionError):
            await asyncio.to_thread(send_message, "127.0.0.1", port, MESSAGE.format(control="X"), timeout=5)
        await closer

    try:
        asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    finally:
        listener.close()
