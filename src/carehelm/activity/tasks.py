"""Background work of the activity app: playing the demo's ADT feed as its time comes.

``play_feed.enqueue(path=...)`` applies every message of an HL7 file whose MSH-7 (sent) time has come
and that is not logged yet, then queues itself again in a minute until the file is played out.
The demo queues it, so with ``make run`` (web server + ``db_worker``) the bed board moves by itself
for the day after the demo was loaded. Messages go through the same service as any feed.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

FEED_INTERVAL_SECONDS = 60


@task()
def play_feed(path: str) -> dict:
    from carehelm.activity import services
    from carehelm.audit.context import acting

    with acting(source="replay"):
        applied, remaining = services.play_due_messages(path)
    if remaining:
        play_feed.using(run_after=timezone.now() + dt.timedelta(seconds=FEED_INTERVAL_SECONDS)).enqueue(
            path=path
        )
    return {"applied": applied, "remaining": remaining}
