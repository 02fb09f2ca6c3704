"""MLLP (Minimal Lower Layer Protocol): the framing HL7 v2 travels in over TCP.

A frame is ``0x0B`` + message + ``0x1C 0x0D``. TCP delivers bytes, not frames: one read can
hold half a frame or three, so the :class:`FrameDecoder` keeps what it has not yet framed.

Public API
----------
``encode_frame(message, *, encoding="utf-8") -> bytes``
    Wrap a message in a frame; segment ends are normalised to CR, as the standard requires.
``FrameDecoder(max_frame_bytes=...)``
    ``feed(data) -> list[bytes]`` returns the complete frames seen so far (payloads, without the
    framing bytes); bytes outside a frame are skipped and counted in ``skipped_bytes``; a frame
    longer than ``max_frame_bytes`` raises :class:`MllpFramingError`.
``MllpServer(handler, *, host="127.0.0.1", port=2575, ...)``
    An asyncio TCP server. For each frame it calls ``handler(message_text) -> ack_text`` and
    sends the answer back in a frame. Handlers run one at a time, in arrival order, on one
    worker thread, because applying ADT is order-dependent and because a Django handler must not
    run on the event loop. A handler that raises gets the sender an AE NAK, never a dropped
    connection. ``await start()``/``await close()`` for embedding (``port=0`` picks a free port,
    read it back from ``.port``); ``run()`` blocks until interrupted (the CLI's ``adt listen``).
``send_message(host, port, message, *, timeout=10.0, encoding="utf-8") -> str``
    A blocking client: send one message, return the acknowledgment text.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from carehelm.engines.interop.hl7v2 import build_ack, decode_hl7_bytes

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

logger = logging.getLogger(__name__)


class MllpFramingError(ValueError):
    """The byte stream broke the framing rules (a frame larger than the limit)."""


def encode_frame(message: str | bytes, *, encoding: str = "utf-8") -> bytes:
    """``message`` wrapped as an MLLP frame, with CR segment ends."""
    if isinstance(message, str):
        text = message.replace("\r\n", "\r").replace("\n", "\r")
        payload = text.encode(encoding)
    else:
        payload = message.replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    return START_BLOCK + payload + END_BLOCK + CARRIAGE_RETURN


class FrameDecoder:
    """Incremental MLLP decoder: feed it bytes as they arrive, get whole frames back."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES):
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._in_frame = False
        self.skipped_bytes = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes of a frame begun but not yet ended."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        frames: list[bytes] = []
        view = bytes(data)
        i = 0
        while i < len(view):
            if not self._in_frame:
                start = view.find(START_BLOCK, i)
                if start == -1:
                    # Keep-alive newlines and noise between frames are skipped, not fatal.
                    self.skipped_bytes += len(view) - i
                    break
                self.skipped_bytes += start - i
                self._in_frame = True
                i = start + 1
                continue
            end = view.find(END_BLOCK, i)
            chunk_end = len(view) if end == -1 else end
            self._buffer += view[i:chunk_end]
            if len(self._buffer) > self.max_frame_bytes:
                self._buffer.clear()
                self._in_frame = False
                raise MllpFramingError(f"frame longer than {self.max_frame_bytes} bytes")
            if end == -1:
                break
            # A start block inside a frame means the previous frame was never closed: the
            # sender gave up on it, so only the text after the last start block is the frame.
            payload = bytes(self._buffer)
            restart = payload.rfind(START_BLOCK)
            if restart != -1:
                self.skipped_bytes += restart + 1
                payload = payload[restart + 1 :]
            frames.append(payload)
            self._buffer.clear()
            self._in_frame = False
            i = end + 1
            # The trailing CR after 0x1C is part of the frame trailer; tolerate its absence.
            if i < len(view) and view[i : i + 1] == CARRIAGE_RETURN:
                i += 1
        return frames


Handler = Callable[[str], str]


class MllpServer:
    """Answer HL7 v2 messages received over MLLP with whatever ``handler`` returns."""

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 2575,
        encoding: str = "utf-8",
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ):
        self.handler = handler
        self.host = host
        self.port = port
        self.encoding = encoding
        self.max_frame_bytes = max_frame_bytes
        self._server: asyncio.base_events.Server | None = None
        # One worker: messages are applied strictly in the order they arrived.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllp-handler")

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve_connection, self.host, self.port)
        sockets = self._server.sockets or ()
        if sockets:
            self.port = sockets[0].getsockname()[1]
        logger.info("MLLP listening on %s:%s", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._worker.shutdown(wait=True)

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    def run(self, on_ready: Callable[[MllpServer], None] | None = None) -> None:
        """Serve until interrupted (Ctrl-C); ``on_ready`` is called once the port is bound."""

        async def main() -> None:
            await self.start()
            if on_ready is not None:
                on_ready(self)
            try:
                await self.serve_forever()
            finally:
                await self.close()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            logger.info("MLLP listener stopped")

    def answer(self, message: str) -> str:
        """The handler's answer, or an AE NAK when the handler fails (the sender will retry)."""
        try:
            return self.handler(message)
        except Exception:
            logger.exception("MLLP handler failed")
            return build_ack(message, code="AE", text="internal error while processing the message")

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = FrameDecoder(self.max_frame_bytes)
        loop = asyncio.get_running_loop()
        peer = writer.get_extra_info("peername")
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                try:
                    frames = decoder.feed(data)
                except MllpFramingError as exc:
                    logger.warning("MLLP %s: %s; closing connection", peer, exc)
                    nak = build_ack(None, code="AR", text=str(exc))
                    writer.write(encode_frame(nak, encoding=self.encoding))
                    await writer.drain()
                    break
                for frame in frames:
                    message = decode_hl7_bytes(frame)
                    ack = await loop.run_in_executor(self._worker, self.answer, message)
                    writer.write(encode_frame(ack, encoding=self.encoding))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            logger.info("MLLP %s: connection lost (%s)", peer, exc)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass


def send_message(
    host: str, port: int, message: str, *, timeout: float = 10.0, encoding: str = "utf-8"
) -> str:
    """Send one message over MLLP and return the acknowledgment's text."""
    decoder = FrameDecoder()
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(encode_frame(message, encoding=encoding))
        while True:
            data = conn.recv(65536)
            if not data:
                raise ConnectionError("connection closed before an acknowledgment arrived")
            frames = decoder.feed(data)
            if frames:
                return decode_hl7_bytes(frames[0])
