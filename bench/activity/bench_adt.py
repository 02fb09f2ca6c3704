"""ADT messages per second through the MLLP listener (``carehelm adt listen``), one client, real socket.

Builds a fresh SQLite database in a temporary folder, configures the simulation's default
hospital (units, rooms, beds), generates a realistic ADT stream with ``engines.simulation``
(admits, registrations, transfers, discharges, cancels, late messages), starts the listener as a
separate process exactly as an operator would, and sends the first N messages over one persistent
connection, waiting for each ACK before the next (MLLP allows one message in flight). Writes
``bench/results/adt.md``.

    .venv/bin/python bench/activity/bench_adt.py [--messages 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "adt.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(x.split()[1])
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        ram = "unknown RAM"
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {ram}, Python {platform.python_version()}, "
        f"load average at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def setup_database(data_dir: str, n_messages: int) -> list[str]:
    os.environ["CAREHELM_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehelm.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from carehelm.activity.feeds import adt_from_simulation
    from carehelm.engines.simulation import HospitalConfig, simulate
    from carehelm.organization import services as org
    from carehelm.organization.models import FacilityKind, UnitKind

    config = HospitalConfig(
        facility="GH", start=dt.datetime(2026, 1, 5), days=max(3, n_messages // 400 + 2), seed=7
    )
    system = org.create_health_system(name="Bench Health", code="bench")
    facility = org.create_facility(
        health_system=system, name="General Hospital", code="GH", kind=FacilityKind.HOSPITAL
    )
    kinds = {
        "ed": UnitKind.EMERGENCY,
        "icu": UnitKind.ICU,
        "theatre": UnitKind.OPERATING_THEATRE,
        "maternity": UnitKind.MATERNITY,
    }
    for u in config.units:
        unit = org.create_unit(
            facility=facility,
            name=u.name,
            code=u.name,
            kind=kinds.get(u.kind, UnitKind.INPATIENT_WARD),
            staffed_beds=u.beds if u.kind not in ("ed", "theatre") else 0,
        )
        if u.kind == "theatre":
            for i in range(u.beds):
                org.add_room_with_beds(unit=unit, room_name=f"OR{i + 1}", bed_labels=[])
        elif u.kind != "ed":
            for r in range((u.beds + u.beds_per_room - 1) // u.beds_per_room):
                labels = (
                    ["A", "B"][: min(u.beds_per_room, u.beds - r * u.beds_per_room)]
                    if u.beds_per_room > 1
                    else ["A"]
                )
                org.add_room_with_beds(unit=unit, room_name=f"{u.name}-{r + 1:02d}", bed_labels=labels)
    result = simulate(config)
    events = result.adt_events[:n_messages]
    return [adt_from_simulation(e, facility="GH", authority="GH") for e in events]


def start_listener(data_dir: str) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "CAREHELM_DATA_DIR": data_dir, "CAREHELM_LOG_LEVEL": "WARNING"}
    carehelm = Path(sys.executable).with_name("carehelm")
    proc = subprocess.Popen(
        [str(carehelm), "adt", "listen", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"listening on [\d.]+:(\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"listener did not start: {line!r} {proc.stderr.read()[:2000]}")
    return proc, int(match.group(1))


def send_all(port: int, messages: list[str]) -> tuple[float, dict, list[str]]:
    from carehelm.engines.interop.mllp import FrameDecoder, encode_frame

    codes: dict[str, int] = {}
    refusals: list[str] = []
    decoder = FrameDecoder()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        started = time.perf_counter()
        for message in messages:
            conn.sendall(encode_frame(message))
            frames: list[bytes] = []
            while not frames:
                frames = decoder.feed(conn.recv(65536))
            msa = next(s for s in frames[0].decode().split("\r") if s.startswith("MSA"))
            code = msa.split("|")[1]
            codes[code] = codes.get(code, 0) + 1
            if code != "AA":
                refusals.append(f"{message.split(chr(13))[0].split('|')[8]} {msa}")
        elapsed = time.perf_counter() - started
    return elapsed, codes, refusals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    started_at = dt.datetime.now(dt.UTC)
    host = machine()
    with tempfile.TemporaryDirectory(prefix="carehelm-bench-adt-") as data_dir:
        messages = setup_database(data_dir, args.messages)
        proc, port = start_listener(data_dir)
        try:
            elapsed, codes, refusals = send_all(port, messages)
        finally:
            proc.terminate()
            proc.wait(30)
    rate = len(messages) / elapsed
    accepted = codes.get("AA", 0)
    text = f"""# ADT intake through the MLLP listener

**{rate:,.0f} messages per second** ({len(messages):,} messages in {elapsed:.1f} s, one client, one
persistent connection, each message waiting for its ACK), SQLite (WAL) on local disk.

| figure | value |
|---|---|
| messages sent | {len(messages):,} |
| answered AA (applied or duplicate) | {accepted:,} |
| answered AE/AR (refused) | {len(messages) - accepted:,} |
| wall time | {elapsed:.2f} s |
| throughput | {rate:,.0f} msg/s |
| mean round trip | {1000 * elapsed / len(messages):.2f} ms |

The stream is the SimPy hospital model's (`engines.simulation`, default 250-bed hospital, seed 7):
ED registrations, admits, transfers, discharges, cancels (A11/A12/A13) and late messages, in
message-arrival order. Each message is parsed, its encounter re-derived from its ordered event log,
stays/pending moves/bed statuses rewritten, logged and audited in one transaction before the ACK.
Refusals (trigger and MSA of each NAK). "For an unknown visit" is a discharge that arrived before its
visit's registration (a late message in the stream): it is NAKed, parked, and applied as soon as the
registration arrives, so the census still ends right:

{chr(10).join("    " + r for r in refusals) or "    none"}

- Date: {started_at:%Y-%m-%d %H:%M} UTC
- Machine: {host} (shared with other work while measured: figures are a floor, not a ceiling)
- Command: `.venv/bin/python bench/activity/bench_adt.py --messages {args.messages}`
"""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
