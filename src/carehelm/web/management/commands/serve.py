"""Serve Carehelm as it runs in production: gunicorn for the web, db_worker for background tasks.

Both are child processes; Ctrl-C (SIGINT) or SIGTERM stops both. If either dies, the other is
stopped too, so a half-running system is never left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from carehelm.demo.build import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Start the web server (gunicorn) and the task worker (db_worker) together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("CAREHELM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CAREHELM_PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("CAREHELM_WEB_WORKERS", "2")))
        parser.add_argument("--task-workers", type=int, default=int(os.environ.get("CAREHELM_TASK_WORKERS", "1")))
        parser.add_argument("--reload", action="store_true", help="restart on code changes (development)")

    def handle(self, *args, host, port, web_workers, task_workers, reload, **opts):
        bindir = os.path.dirname(sys.executable)
        gunicorn = [os.path.join(bindir, "gunicorn"), "carehelm.config.wsgi:application", "--bind", f"{host}:{port}",
                    "--workers", str(web_workers), "--threads", "4", "--timeout", "120", "--access-logfile", "-",
                    "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s %(L)ss']
        if reload:
            gunicorn.append("--reload")
        carehelm = os.path.join(bindir, "carehelm")
        procs = [subprocess.Popen(gunicorn)]
        for i in range(task_workers):
            procs.append(subprocess.Popen([carehelm, "db_worker", "--queue-name", "*", "--worker-id", f"local-{i}",
                                           *(["--reload"] if reload else ["--no-reload"])]))
        self.stdout.write(self.style.SUCCESS(f"\nCarehelm is running at http://{host}:{port}/"))
        self.stdout.write(f"API docs: http://{host}:{port}/api/docs")
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for username, *_rest, description in DEMO_USERS:
            self.stdout.write(f"  {username:<17} {description}")
        self.stdout.write("Press Ctrl-C to stop the web server and the task worker.\n")

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.time() + 15
            for p in procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    p.kill()
            self.stdout.write("Stopped.")
