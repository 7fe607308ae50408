"""Jobs are found by name, not imported by module path: jobs queued by the previous release
(whose jobs lived in `service/jobs.py`) still run after an upgrade, and a job naming anything
else is refused without being run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from service.db import OutboxMessage, Volunteer
from service.db.turn import Turn, run_turn
from service.jobs.job_queue import QUEUE_NAME
from service.jobs.registry import UnknownJob, resolve
from service.outbound import outbox
from tests.support.line import Line
from tests.support.stack import People, Stack

# The jobs the release before the wings queued, as it wrote them in Redis (`func_name`), with
# arguments that name no row (each job then finds nothing to do), except the delivery's.
LEGACY_JOBS = {
    "service.jobs.expire_offer": [2_000_000_000],
    "service.jobs.realert_escalation": [2_000_000_000],
    "service.jobs.ring_held_caller": [2_000_000_000],
    "service.jobs.place_call": [2_000_000_000],
    "service.jobs.help_route": [],
    "service.jobs.route_stored": [],
    "service.jobs.sweep": [],
    "service.jobs.purge_expired": [],
}


def _eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def _status(stack: Stack, job_id: str) -> JobStatus | None:
    return Job.fetch(job_id, connection=stack.runtime.redis, serializer=JSONSerializer).get_status()


def test_jobs_queued_by_the_previous_release_run_after_the_upgrade(line: Line, people: People, stack: Stack) -> None:
    ana = people.volunteer("Ana")

    # A text the previous release committed to the outbox and queued a delivery job for.
    def write_text(turn: Turn) -> None:
        outbox.to_volunteer(
            turn,
            turn.session.scalars(select(Volunteer).where(Volunteer.phone == ana)).one(),
            "Queued before the upgrade",
        )

    run_turn(stack.runtime, datetime.now(UTC), write_text)
    with stack.runtime.sessions() as session:
        outbox_id = session.scalar(select(func.max(OutboxMessage.id)))
    queue = Queue(QUEUE_NAME, connection=stack.runtime.redis, serializer=JSONSerializer)
    queued = [
        queue.enqueue("service.jobs.deliver_outbound", outbox_id, job_id="legacy-deliver_outbound", result_ttl=60)
    ]
    queued += [
        queue.enqueue(name, *args, job_id=f"legacy-{name.rsplit('.', 1)[1]}", result_ttl=60)
        for name, args in LEGACY_JOBS.items()
    ]

    _eventually(lambda: all(_status(stack, job.id) in (JobStatus.FINISHED, JobStatus.FAILED) for job in queued))
    assert {job.func_name: _status(stack, job.id) for job in queued} == {
        job.func_name: JobStatus.FINISHED for job in queued
    }
    assert line.wait_for(ana, "Queued before the upgrade")["From"] == line.main_number


def test_a_job_naming_anything_but_a_warmline_job_is_refused_and_does_nothing(
    line: Line, stack: Stack, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    queue = Queue(QUEUE_NAME, connection=stack.runtime.redis, serializer=JSONSerializer)
    job = queue.enqueue("os.system", f"touch {marker}", job_id="not-a-warmline-job", failure_ttl=60)

    _eventually(lambda: _status(stack, job.id) == JobStatus.FAILED)
    refused = Job.fetch(job.id, connection=stack.runtime.redis, serializer=JSONSerializer)
    result = refused.latest_result()
    assert result is not None and "refused job 'os.system': not one of the line's jobs" in (result.exc_string or "")
    assert not marker.exists()
    queue.failed_job_registry.remove(job.id, delete_job=True)


def test_job_names_resolve_to_the_same_function_under_every_name_they_were_queued_by() -> None:
    assert (
        resolve("deliver_outbound")
        is resolve("service.jobs.deliver_outbound")
        is resolve("service.jobs.tasks.deliver_outbound")
    )
    for name in ("os.system", "service.jobs.tasks._twilio", "builtins.eval", ""):
        with pytest.raises(UnknownJob):
            resolve(name)
