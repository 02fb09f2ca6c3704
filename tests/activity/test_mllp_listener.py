"""``carehelm adt listen``: the management command's MLLP server answers ACK and NAK over a real socket."""

from __future__ import annotations

import io
import socket
import threading

import pytest
from django.core.management import call_command

from carehelm.activity.management.commands.adt import Command
from carehelm.activity.models import AdtMessage, Encounter
from carehelm.engines.interop.mllp import FrameDecoder, encode_frame, send_message
from tests.activity.conftest import adt, t

# The listener applies messages on its own thread (its own connection), so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue_seeded(transactional_db):
    # An earlier transactional test's flush empties the tables the data migration filled.
    from carehelm.workforce import catalogue
    from carehelm.workforce.models import JobRole

    if not JobRole.objects.exists():
        catalogue.seed()


@pytest.fixture
def listener(catalogue_seeded, ward):
    command = Command(stdout=io.StringIO(), stderr=io.StringIO())
    thread = threading.Thread(target=call_command, args=(command, "listen", "--port", "0"), daemon=True)
    thread.start()
    assert command.ready.wait(30), "the listener did not start"
    yield command
    command.stop()
    thread.join(30)
    assert not thread.is_alive()


def msa(ack: str) -> list[str]:
    return next(s for s in ack.split("\r") if s.startswith("MSA")).split("|")


def test_listener_answers_ack_and_nak_over_a_socket(listener):
    port = listener.server.port
    assert f"listening on 127.0.0.1:{port}" in listener.stdout._out.getvalue()
    ack = send_message("127.0.0.1", port, adt("A01", "L1", "V1", t(2, 8)))
    assert msa(ack)[1:3] == ["AA", "L1"]
    nak = send_message("127.0.0.1", port, adt("A02", "L2", "V9", t(2, 9), location="MS4^401^A^rgh"))
    assert msa(nak)[1:3] == ["AE", "L2"]
    assert "unknown visit" in nak and "ERR|" in nak
    assert Encounter.objects.get(visit_number="V1").status == "active"
    assert AdtMessage.objects.get(control_id="L2").status == "refused"

    # Garbage is rejected (AR) without dropping the connection: the next message is still answered.
    with socket.create_connection(("127.0.0.1", listener.server.port), timeout=10) as conn:
        conn.sendall(encode_frame("this is not HL7") + encode_frame(adt("A01", "L3", "V3", t(2, 8))))
        decoder, frames = FrameDecoder(), []
        while len(frames) < 2:
            frames += decoder.feed(conn.recv(65536))
    first, second = (f.decode() for f in frames)
    assert msa(first)[1] == "AR"
    assert msa(second)[1:3] == ["AA", "L3"]
