"""The scheduled processes as Prefect deployments, for both production shapes.

``gongkai serve`` (one office, one machine) serves them itself from its own local Prefect server;
``gongkai deploy`` registers them on the Prefect server named by ``PREFECT_API_URL`` in a process work
pool, where ``prefect worker start --pool …`` runs them. Both take their list from :func:`deployments_for`:
one definition of names, schedules, time zone and parameters.

In the deploy shape each deployment is named after its office and allows one run at a time (further runs
wait: Prefect's deployment concurrency limit, collision strategy ENQUEUE), so one office never runs the
same process twice at once. Several offices on one server are one call of :func:`deployments_for` per
office's settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gongkai.core.errors import GongkaiError
from gongkai.core.settings import DEFAULT_OFFICE_CODE, Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

DEFAULT_POOL = "gongkai"
REPORT = "annual-report"  # the annual report's deployment (no schedule), after the scheduled ones


class DeployError(GongkaiError):
    """``gongkai deploy`` cannot register (no server named, server unreachable, pool of another type)."""


def office_slug(name: str) -> str:
    """The part of a deployment name that names an office without an ``[office] code``, from the office's name:
    lower-case ASCII letters and digits and Chinese characters, runs of anything else as one ``-``."""
    slug = re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "-", name.lower()).strip("-")
    return slug[:64].strip("-") or "office"


def deployment_name(process: str, office: str | None = None) -> str:
    """The Prefect deployment name of a scheduled process (``gongkai-report-readiness``: dashes only), and
    with ``office`` (deploy shape) that office's (``gongkai-report-readiness-OFFICE``)."""
    name = f"gongkai-{process.replace('_', '-')}"
    return f"{name}-{office}" if office else name


def office_part(cfg: Settings) -> str:
    """The office's part of its deployment names: its ``[office] code``, or for a configuration that names none
    (code ``default``, one office on its own) a slug of its name (:func:`office_slug`)."""
    if cfg.folder is None and cfg.office.code == DEFAULT_OFFICE_CODE:
        return office_slug(cfg.office.name)
    return cfg.office.code


def deployments_for(cfg: Settings, *, pool: str | None = None, backup: bool = True) -> list[RunnerDeployment]:
    """One deployment per scheduled process, from ``[schedules]`` in the office's time zone, the nightly backup's
    (``[backup] time``), and the annual report's deployment without a schedule (last).

    Without ``pool``: ``gongkai serve``'s (served by its own runner, names as they always were). With ``pool``:
    ``gongkai deploy``'s, in that work pool, each named after the office (:func:`office_part`), tagged with it,
    and limited to one run at a time (a second run waits until the first ends). Every run names its office in
    its parameters (``office``: the worker's ``GONGKAI_CONFIG`` may be a folder of many offices). ``backup``:
    include the nightly backup (of the whole database: one per database, not one per office).

    Each names its flow by module path (``gongkai.flows.reminders.deadline_reminders``), not by a file path
    relative to the current folder: a flow-run process imports it wherever Gongkai is installed (a wheel in
    site-packages, a clone) and whatever folder it starts in (a process worker starts it in a temporary one)."""
    from gongkai.flows.registry import FLOWS
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from gongkai.store.schedule import PROCESSES

    office = office_part(cfg) if pool is not None else None
    tz = cfg.office.timezone
    shape: dict[str, Any] = {"entrypoint_type": EntrypointType.MODULE_PATH}
    if pool is not None:
        shape.update(
            work_pool_name=pool,
            concurrency_limit=ConcurrencyLimitConfig(
                limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
            ),
            tags=["gongkai", f"office:{office}"],
        )

    def scheduled(process: str, cron: str, description: str) -> RunnerDeployment:
        name = deployment_name(process, office)
        deployment: RunnerDeployment = FLOWS[process].to_deployment(
            name=name,
            schedules=[Cron(cron, timezone=tz, slug=deployment_name(process))],
            parameters={"scheduled": True, "office": cfg.office.code},
            paused=False,  # a clean stop of serve paused it; serving or deploying again re-activates it
            description=description,
            **shape,
        )
        return deployment

    out = []
    for process in PROCESSES:
        cron = getattr(cfg.schedules, process.name)
        out.append(scheduled(process.name, cron, f"Gongkai: {process.flow_name} ({cron}, {tz})"))
    # The nightly backup: daily at [backup] time. Not a period process (nothing to catch up: the next night's
    # backup is as good as a late one, and a failure is told to the administrators).
    if backup:
        out.append(
            scheduled(
                "backup",
                cfg.backup.cron,
                f"Gongkai: nightly-backup ({cfg.backup.time}, {tz}; keep {cfg.backup.keep})",
            )
        )
    # Triggered by hand each January (from the Prefect UI, the desk or `gongkai run report`): no schedule.
    report: RunnerDeployment = FLOWS["report"].to_deployment(
        name=deployment_name(REPORT, office),
        parameters={"office": cfg.office.code},
        description="Gongkai: annual-report (run from the UI; parameter year, default last year)",
        **shape,
    )
    out.append(report)
    return out


def register(offices: Sequence[Settings], pool: str = DEFAULT_POOL) -> list[RunnerDeployment]:
    """Create the process work pool ``pool`` if it does not exist, then create or update (by name: running it
    again never duplicates) every deployment of :func:`deployments_for` for each office in it on the Prefect
    server named by ``PREFECT_API_URL``; the nightly backup (of the whole database) with the first office only.
    Returns the deployments registered. Raises :class:`DeployError` (in Chinese) when no
    server is named, it cannot be reached or refuses us, or ``pool`` exists with another type."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
    from prefect.settings import get_current_settings
    from prefect.workers.process import ProcessWorker

    api = get_current_settings().api.url
    if not api:
        raise DeployError(
            "未设置环境变量 PREFECT_API_URL：gongkai deploy 只用于县级部署（独立的 Prefect 服务器和 worker），"
            "单机运行请用 gongkai serve。"
        )
    deps = [
        deployment
        for number, cfg in enumerate(offices)
        for deployment in deployments_for(cfg, pool=pool, backup=number == 0)
    ]
    try:
        with get_client(sync_client=True) as client:
            try:
                found = client.read_work_pool(pool)
            except ObjectNotFound:
                found = client.create_work_pool(
                    WorkPoolCreate(
                        name=pool,
                        type=ProcessWorker.type,
                        base_job_template=ProcessWorker.get_default_base_job_template(),
                    )
                )
            if found.type != ProcessWorker.type:
                raise DeployError(
                    f"Prefect 服务器上已有名为 {pool} 的工作池，但它的类型是 {found.type}，不是 process："
                    "请用 --pool 指定另一个名称。"
                )
            for deployment in deps:
                deployment.apply(work_pool_name=pool)
    except PrefectHTTPStatusError as exc:
        status = exc.response.status_code
        if status == 401:
            raise DeployError(
                f"Prefect 服务器 {api} 拒绝了访问（401）：请把环境变量 PREFECT_API_AUTH_STRING 设为服务器的 "
                "PREFECT_SERVER_API_AUTH_STRING。"
            ) from exc
        raise DeployError(f"Prefect 服务器 {api} 返回错误 {status}，部署没有完成：详见服务器日志。") from exc
    except (httpx.HTTPError, OSError, RuntimeError) as exc:
        raise DeployError(
            f"无法连接环境变量 PREFECT_API_URL 指定的 Prefect 服务器 {api}（{type(exc).__name__}）："
            "请确认服务器已启动、地址正确。"
        ) from exc
    return deps


__all__ = [
    "DEFAULT_POOL",
    "DeployError",
    "deployment_name",
    "deployments_for",
    "office_part",
    "office_slug",
    "register",
]
