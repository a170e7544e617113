"""The county shape's follow-up run: a run of a deployment (a worker runs it; no ``gongkai serve`` retry watcher)
that leaves messages unconfirmed schedules one more run of its own deployment for when they can be retried.

Real parts: Prefect's test harness (its API and database), the reminders flow executed in-process as the flow run a
deployment created (what a worker's flow-run process does), the demo office on SQLite, a loopback SMTP server that
is down, then back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from gongkai.tasks.common import FOLLOW_UP_GAP, MAX_FOLLOW_UPS, follow_up_at

from gongkai.services.processes import Settlement
from tests.flows.test_reminders_flow import AS_OF, _count
from tests.flows.test_reminders_flow import office as office  # noqa: F401  (the demo office fixture)
from tests.servers import SmtpSink

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def test_when_the_follow_up_starts() -> None:
    assert follow_up_at(Settlement(done=True), 0, NOW) is None
    owed = Settlement(done=False, outstanding=3)
    assert follow_up_at(owed, 0, NOW) == NOW + FOLLOW_UP_GAP
    later = NOW + timedelta(minutes=45)  # a channel's backoff, a lease that runs out later
    assert follow_up_at(Settlement(False, 3, 1, later), 2, NOW) == later
    assert follow_up_at(Settlement(False, 3, 0, NOW), 0, NOW) == NOW + FOLLOW_UP_GAP  # never at once
    assert follow_up_at(owed, MAX_FOLLOW_UPS - 1, NOW) is not None
    assert follow_up_at(owed, MAX_FOLLOW_UPS, NOW) is None  # a fault that persists is for the administrator


def _run_as_deployment(parameters: dict[str, Any]) -> tuple[Any, Any]:
    """Create a flow run of a reminders deployment and execute it here, as a worker's flow-run process does;
    returns the deployment's id and the finished flow run."""
    from gongkai.flows.reminders import deadline_reminders
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.flow_engine import run_flow

    deployment_id = deadline_reminders.to_deployment(
        name="county-test", parameters={"scheduled": True}
    ).apply()
    created = run_deployment(deployment_id, parameters=parameters, timeout=0, as_subflow=False)
    run_flow(deadline_reminders, flow_run=created, parameters={"scheduled": True, **parameters})  # type: ignore[arg-type]
    with get_client(sync_client=True) as client:
        return deployment_id, client.read_flow_run(created.id)  # type: ignore[union-attr]


def _scheduled_runs(deployment_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
        )


def test_a_deployments_run_with_the_mail_server_down_schedules_its_follow_up_once(
    office: Path, smtp: SmtpSink
) -> None:
    smtp.stop()
    before = datetime.now(UTC)
    deployment_id, first = _run_as_deployment({"as_of": AS_OF.isoformat()})
    pending = _count("SELECT count(*) FROM reminder_outbox WHERE status = 'pending'")
    assert pending > 0 and _count("SELECT count(*) FROM schedule_progress") == 0
    (follow,) = _scheduled_runs(deployment_id)
    given = {
        k: v for k, v in follow.parameters.items() if v is not None
    }  # the flow's defaults are listed too
    assert given == {"as_of": AS_OF.isoformat(), "scheduled": True, "follow_up": 1}
    assert follow.expected_start_time >= before + FOLLOW_UP_GAP
    assert first.id != follow.id

    # The follow-up runs once the mail server is back: only what is still owed goes out, the day is then done,
    # and nothing more is scheduled.
    smtp.start()
    from gongkai.flows.reminders import deadline_reminders
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    with get_client(sync_client=True) as client:  # its time has come (the engine waits for a future start)
        client.set_flow_run_state(follow.id, Scheduled(scheduled_time=datetime.now(UTC)), force=True)
        follow = client.read_flow_run(follow.id)
    run_flow(deadline_reminders, flow_run=follow, parameters=follow.parameters)
    assert _count("SELECT count(*) FROM reminder_outbox WHERE status IN ('pending', 'sending')") == 0
    assert len({m.to[0] for m in smtp.messages}) == len(smtp.messages)  # one digest per person, once
    assert _count("SELECT count(*) FROM schedule_progress WHERE flow = 'deadline-reminders'") == 1
    assert _scheduled_runs(deployment_id) == []


def test_the_follow_up_of_an_attempt_is_made_once(office: Path) -> None:
    from gongkai.flows.reminders import deadline_reminders
    from gongkai.tasks.common import schedule_follow_up

    deployment_id = deadline_reminders.to_deployment(name="county-once").apply()
    at = datetime.now(UTC) + timedelta(hours=1)
    first = schedule_follow_up(str(deployment_id), {"office": "x"}, date(2026, 11, 27), 2, at)
    again = schedule_follow_up(str(deployment_id), {"office": "x"}, date(2026, 11, 27), 2, at)
    assert first == again
    (run,) = _scheduled_runs(deployment_id)
    assert run.parameters == {"office": "x", "as_of": "2026-11-27", "scheduled": True, "follow_up": 2}
    assert abs((run.expected_start_time - at).total_seconds()) < 1


@pytest.mark.parametrize("attempt", [MAX_FOLLOW_UPS])
def test_after_the_last_follow_up_nothing_more_is_scheduled(
    office: Path, smtp: SmtpSink, attempt: int
) -> None:
    smtp.stop()
    deployment_id, _run = _run_as_deployment({"as_of": AS_OF.isoformat(), "follow_up": attempt})
    assert _scheduled_runs(deployment_id) == []
    assert (
        _count("SELECT count(*) FROM reminder_outbox WHERE status = 'pending'") > 0
    )  # kept for the next run
