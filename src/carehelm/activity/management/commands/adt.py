"""``carehelm adt load FILE [FILE ...] [--learn-locations]``, ``carehelm adt listen --port N`` and
``carehelm adt replay FILE [--speed X]``.

``load`` prints one line per message (accepted/refused + reason, ids only) and exits 1 when a file
could not be read (nothing from it is written) or any message was refused. ``listen`` runs the
MLLP listener, answering each message with an ACK (AA) or NAK (AE/AR), until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from carehelm.activity import services
from carehelm.activity.locations import LocationCache
from carehelm.audit.context import acting
from carehelm.engines.interop import hl7v2
from carehelm.engines.interop.hl7v2 import Hl7ParseError
from carehelm.engines.interop.mllp import MllpServer

BAR_FROM = 500  # messages; smaller files need no progress bar


class Command(BaseCommand):
    help = "Load HL7 v2 ADT files, or listen for ADT messages over MLLP."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The listener is reachable from tests and the benchmark: ``ready`` is set once it is bound.
        self.ready = threading.Event()
        self.server: MllpServer | None = None
        self._loop = None
        self._task = None

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="apply the ADT messages of one or more files")
        load.add_argument("files", nargs="+")
        load.add_argument(
            "--learn-locations",
            action="store_true",
            help="create units, rooms and beds the feed names but we do not know (audited)",
        )
        replay = sub.add_parser(
            "replay",
            help="play a file's messages at the pace of their MSH-7 times "
            "(the demo's next day: var/demo-adt-feed.hl7)",
        )
        replay.add_argument("file")
        replay.add_argument("--speed", type=float, default=1.0, help="1 = real time, 60 = an hour a minute")
        replay.add_argument("--learn-locations", action="store_true")
        listen = sub.add_parser("listen", help="MLLP listener answering ACK/NAK")
        listen.add_argument("--port", type=int, required=True, help="TCP port (0 picks a free one)")
        listen.add_argument("--host", default="127.0.0.1")
        listen.add_argument("--learn-locations", action="store_true")

    def handle(self, *args, action, **opts):
        if action == "load":
            return self.load(opts["files"], opts["learn_locations"])
        if action == "replay":
            return self.replay(opts["file"], opts["speed"], opts["learn_locations"])
        return self.listen(opts["host"], opts["port"], opts["learn_locations"])

    def load(self, files, learn):
        refused = failed = 0
        for path in files:
            bar = None

            def progress(done, total, _path=path):
                nonlocal bar
                if total < BAR_FROM:
                    return
                if bar is None:
                    bar = tqdm(total=total, desc=str(_path), unit="msg", file=self.stderr._out)
                bar.update(done - bar.n)  # tqdm redraws at most ten times a second

            try:
                with acting(source="cli"):
                    results = services.load_adt_file(path, learn_locations=learn, on_progress=progress)
            except FileNotFoundError:
                self.stderr.write(f"{path}: no such file")
                failed += 1
                continue
            except Hl7ParseError as exc:
                self.stderr.write(f"{path}: not loaded, nothing written:")
                for problem in exc.problems[:50]:
                    self.stderr.write(f"  {problem}")
                if len(exc.problems) > 50:
                    self.stderr.write(f"  … and {len(exc.problems) - 50} more")
                failed += 1
                continue
            finally:
                if bar is not None:
                    bar.close()
            for result in results:
                self.stdout.write(f"{path}: {result.line()}")
                refused += not result.accepted
            self.stdout.write(
                f"{path}: {sum(r.accepted for r in results)} accepted, "
                f"{sum(not r.accepted for r in results)} refused"
            )
        if failed or refused:
            raise CommandError(f"{failed} file(s) not loaded, {refused} message(s) refused", returncode=1)

    def replay(self, path, speed, learn):
        if speed <= 0:
            raise CommandError("--speed must be positive")
        try:
            events = hl7v2.parse_file(path, assume_tz=services.facility_zone())
        except (OSError, Hl7ParseError) as exc:
            raise CommandError(f"{path}: not replayed: {exc}") from None
        events.sort(key=lambda e: (e.message_datetime, e.message_number))
        started = timezone.now()
        origin = max(started, events[0].message_datetime) if events else started
        self.stdout.write(f"Replaying {len(events)} messages from {path} at {speed:g}x; Ctrl-C to stop")
        try:
            for event in events:
                due = (event.message_datetime - origin).total_seconds() / speed
                wait = due - (timezone.now() - started).total_seconds()
                if wait > 0:
                    time.sleep(wait)
                with acting(source="replay"):
                    result = services.apply_adt_event(event, learn_locations=learn, channel="replay")
                self.stdout.write(f"{timezone.localtime():%H:%M:%S} {result.line()}")
        except KeyboardInterrupt:
            self.stdout.write("replay stopped")

    def listen(self, host, port, learn):
        cache = LocationCache()

        def handler(text: str) -> str:
            with acting(source="mllp"):
                return services.receive_adt(text, learn_locations=learn, channel="mllp", cache=cache).ack

        self.server = MllpServer(handler, host=host, port=port)

        def on_ready(server: MllpServer) -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            self.stdout.write(f"MLLP listening on {server.host}:{server.port}")
            self.stdout.flush()
            self.ready.set()

        try:
            self.server.run(on_ready=on_ready)
        except asyncio.CancelledError:
            pass
        self.stdout.write("MLLP listener stopped")

    def stop(self) -> None:
        """Stop a running listener from another thread (tests, benchmark)."""
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
