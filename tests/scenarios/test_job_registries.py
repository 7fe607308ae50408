"""RQ's failed and abandoned jobs are watched: the sweeper runs each again a bounded number
of times (every job is idempotent), and what still fails is shown on /healthz."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
from rq import Queue
from rq.executions import Execution
from rq.job import Job
from rq.serializers import JSONSerializer

from service.jobs.job_queue import QUEUE_NAME, REQUEUE_LIMIT
from tests.support.line import Line
from tests.support.stack import Stack


def _eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


def _queue(stack: Stack) -> Queue:
    return Queue(QUEUE_NAME, connection=stack.runtime.redis, serializer=JSONSerializer)


def test_a_job_that_keeps_failing_is_run_again_a_few_times_then_shown_on_healthz(line: Line, stack: Stack) -> None:
    queue = _queue(stack)
    for job_id in queue.failed_job_registry.get_job_ids():
        queue.failed_job_registry.remove(job_id, delete_job=True)
    broken = queue.enqueue("service.jobs.deliver_outbound", "not-an-id", job_id="broken-delivery")

    _eventually(
        lambda: (
            int(Job.fetch(broken.id, connection=stack.runtime.redis, serializer=JSONSerializer).meta.get("requeued", 0))
            == REQUEUE_LIMIT
            and broken.id in queue.failed_job_registry.get_job_ids()
        )
    )
    stack.wait_for_sweeps(2)  # it is left alone now
    job = Job.fetch(broken.id, connection=stack.runtime.redis, serializer=JSONSerializer)
    assert job.meta["requeued"] == REQUEUE_LIMIT and job.get_status() == "failed"
    health = requests.get(line.server_url + "/healthz", timeout=10).json()
    assert health["failed_jobs"] == 1
    assert (
        stack.worker_log.read_text().count("jobs.requeued job=service.jobs.deliver_outbound id=broken-delivery")
        == REQUEUE_LIMIT
    )
    queue.failed_job_registry.remove(broken.id, delete_job=True)


def test_a_job_abandoned_by_a_killed_worker_is_run_again_without_waiting_for_its_timeout(
    line: Line, stack: Stack
) -> None:
    queue = _queue(stack)
    # What a SIGKILLed worker leaves behind: a job marked started that no heartbeat renews.
    job = Job.create(
        "service.jobs.purge_expired",
        connection=stack.runtime.redis,
        serializer=JSONSerializer,
        id="abandoned-purge",
        origin=QUEUE_NAME,
        result_ttl=60,
    )
    job.save()
    with stack.runtime.redis.pipeline() as pipe:
        Execution.create(job, ttl=1, pipeline=pipe, worker_name="killed")  # its heartbeat lapses in a second
        pipe.execute()

    _eventually(
        lambda: Job.fetch(job.id, connection=stack.runtime.redis, serializer=JSONSerializer).get_status() == "finished"
    )
    assert job.id not in queue.started_job_registry.get_job_ids()
    assert "jobs.requeued job=service.jobs.purge_expired id=abandoned-purge run=1" in stack.worker_log.read_text()
