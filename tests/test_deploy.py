"""``gongkai deploy``: the deployments it registers (names after the office, schedules in the office's time
zone, one run at a time, the work pool), that they are ``gongkai serve``'s by one definition, and its refusals.
The county stack itself (server on PostgreSQL, a worker, SIGKILL) is tests/test_county_stack.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gongkai.cli.main import main
from gongkai.core.settings import Settings, load_settings

pytestmark = pytest.mark.once  # registering with Prefect: nothing here depends on the server's zone

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cfg() -> Settings:
    return load_settings(REPO / "config" / "gongkai.toml")


def _schedule(deployment: Any) -> tuple[str, str] | None:
    if not deployment.schedules:
        return None
    schedule = deployment.schedules[0].schedule
    return str(schedule.cron), str(schedule.timezone)


def test_office_slug_names_the_office_in_a_deployment_name() -> None:
    from gongkai.flows.deploy import office_slug

    assert office_slug("某某市某某区示范街道办事处") == "某某市某某区示范街道办事处"
    assert office_slug("  Lianhua Street / Office 2 ") == "lianhua-street-office-2"
    assert office_slug("（）/ ") == "office"


def test_deploy_registers_one_limited_deployment_per_process_in_the_pool(cfg: Settings) -> None:
    from gongkai.flows.deploy import deployments_for, office_slug
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    office = office_slug(cfg.office.name)
    deps = deployments_for(cfg, pool="county")
    assert [(d.flow_name, d.name) for d in deps] == [
        ("deadline-reminders", f"gongkai-reminders-{office}"),
        ("catalogue-update", f"gongkai-catalogue-{office}"),
        ("content-review", f"gongkai-review-{office}"),
        ("annual-report-readiness", f"gongkai-report-readiness-{office}"),
        ("nightly-backup", f"gongkai-backup-{office}"),
        ("annual-report", f"gongkai-annual-report-{office}"),
    ]
    assert [_schedule(d) for d in deps] == [
        (cfg.schedules.reminders, "Asia/Shanghai"),
        (cfg.schedules.catalogue, "Asia/Shanghai"),
        (cfg.schedules.review, "Asia/Shanghai"),
        (cfg.schedules.report_readiness, "Asia/Shanghai"),
        ("30 2 * * *", "Asia/Shanghai"),
        None,  # the annual report is run by hand
    ]
    for d in deps:
        assert d.work_pool_name == "county"
        assert d.concurrency_limit == 1
        assert d.concurrency_options is not None
        assert d.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
        assert d.entrypoint is not None and d.entrypoint.startswith("gongkai.flows.")  # a module path
        assert not d.paused
        assert f"office:{office}" in d.tags
    assert all(d.parameters == {"scheduled": True, "office": "default"} for d in deps[:-1])
    assert deps[-1].parameters == {"office": "default"}  # a worker's runs name their office


def test_a_folders_offices_are_deployed_by_code_with_one_backup(tmp_path: Path) -> None:
    from gongkai.flows.deploy import deployments_for

    from gongkai.core.settings import load_settings
    from tests.offices import demo_county

    demo_county(tmp_path / "county", ["hedong", "hexi"])
    hedong = load_settings(tmp_path / "county", "hedong")
    names = [d.name for d in deployments_for(hedong, pool="county")]
    assert "gongkai-reminders-hedong" in names and "gongkai-backup-hedong" in names
    assert all(
        d.parameters["office"] == "hexi"
        for d in deployments_for(load_settings(tmp_path / "county", "hexi"), pool="county")
    )
    without = [d.flow_name for d in deployments_for(hedong, pool="county", backup=False)]
    assert "nightly-backup" not in without and len(without) == len(names) - 1


def test_a_schedule_in_another_time_zone_is_registered_in_it(tmp_path: Path) -> None:
    from gongkai.flows.deploy import deployments_for

    text = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    assert 'timezone = "Asia/Shanghai"' in text
    config = tmp_path / "gongkai.toml"
    config.write_text(
        text.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Urumqi"'), encoding="utf-8"
    )
    deps = deployments_for(load_settings(config), pool="gongkai")
    assert {_schedule(d)[1] for d in deps[:-1]} == {"Asia/Urumqi"}  # type: ignore[index]


def test_serve_and_deploy_share_one_definition(cfg: Settings) -> None:
    from gongkai.flows.deploy import deployments_for, office_slug
    from gongkai.flows.serve import deployments

    served, deployed = deployments(cfg), deployments_for(cfg, pool="gongkai")
    office = office_slug(cfg.office.name)
    assert [d.name + f"-{office}" for d in served] == [d.name for d in deployed]
    for s, d in zip(served, deployed, strict=True):
        assert (s.flow_name, s.entrypoint, s.parameters, _schedule(s), s.description) == (
            d.flow_name,
            d.entrypoint,
            d.parameters,
            _schedule(d),
            d.description,
        )
        # serve's runner serves its own: no pool, no limit, names as they always were
        assert s.work_pool_name is None and s.concurrency_limit is None
    assert served[0].name == "gongkai-reminders" and served[-1].name == "gongkai-annual-report"


def test_deploy_without_a_prefect_server_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(main, ["--config", str(REPO / "config" / "gongkai.toml"), "deploy"])
    assert result.exit_code == 2
    assert "PREFECT_API_URL" in result.output and "gongkai serve" in result.output
    assert result.output.startswith("错误：")


def test_deploy_to_a_server_that_does_not_answer_says_so(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.servers import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "gongkai"),
            "--config",
            str(REPO / "config" / "gongkai.toml"),
            "deploy",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("错误：无法连接环境变量 PREFECT_API_URL 指定的 Prefect 服务器"), done.stderr
    assert "Traceback" not in done.stderr
