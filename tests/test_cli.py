"""The CLI contract: command names, flags and JSON keys other tools rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server, database_url_for


def smssign(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMSSIGN_DATABASE_URL": database, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "smssign", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url_for(tmp_path_factory.mktemp("cli"))


def created(database: str, name: str, *flags: str) -> dict[str, Any]:
    result = smssign("accounts", "create", name, *flags, "--json", database=database)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_accounts_create_json_shape(database: str) -> None:
    data = created(database, "cli-enterprise")
    assert set(data) == {
        "id",
        "name",
        "certification",
        "tencent",
        "legacy",
        "yunpian",
        "aliyun",
    }
    assert isinstance(data["id"], int) and data["name"] == "cli-enterprise"
    assert data["certification"] == "enterprise"
    assert set(data["tencent"]) == {"secret_id", "secret_key"}
    assert data["tencent"]["secret_id"].startswith("AKID")
    assert isinstance(data["legacy"]["sdkappid"], int) and data["legacy"]["appkey"]
    assert len(data["yunpian"]["apikey"]) == 32
    assert created(database, "cli-person", "--individual")["certification"] == "individual"


def test_duplicate_account_name_is_an_error_not_a_traceback(database: str) -> None:
    created(database, "cli-twice")
    again = smssign("accounts", "create", "cli-twice", "--json", database=database)
    assert again.returncode == 1
    assert "Traceback" not in again.stderr and "exists" in again.stderr


def test_accounts_set(database: str) -> None:
    account_id = str(created(database, "cli-set")["id"])
    result = smssign(
        "accounts",
        "set",
        account_id,
        "--arrears",
        "--individual",
        "--ip-allow",
        "10.0.0.0/8",
        "--ip-allow",
        "192.168.1.1",
        "--json",
        database=database,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["arrears"] is True and shown["certification"] == "individual"
    assert shown["ip_allow"] == ["10.0.0.0/8", "192.168.1.1"]
    result = smssign(
        "accounts",
        "set",
        account_id,
        "--no-arrears",
        "--enterprise",
        "--clear-ip-allow",
        "--json",
        database=database,
    )
    shown = json.loads(result.stdout)
    assert (shown["arrears"], shown["certification"], shown["ip_allow"]) == (
        False,
        "enterprise",
        [],
    )
    bad = smssign("accounts", "set", account_id, "--ip-allow", "not-an-ip", database=database)
    assert bad.returncode != 0 and "not an IP network" in bad.stderr
    missing = smssign("accounts", "set", "999999", "--arrears", database=database)
    assert missing.returncode == 1 and "no account" in missing.stderr


def test_accounts_set_balance_and_frequency_limits(database: str) -> None:
    account_id = str(created(database, "cli-sending")["id"])
    result = smssign(
        "accounts", "set", account_id, "--balance", "500",
        "--frequency", "tencent.1h=20", "--frequency", "tencent.30s=0", "--json",
        database=database,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["balance"] == 500
    assert shown["frequency_limits"] == {"tencent.1h": 20, "tencent.30s": 0}
    again = smssign("accounts", "set", account_id, "--frequency", "tencent.day=3", "--json",
                    database=database)  # fmt: skip
    assert json.loads(again.stdout)["frequency_limits"] == {
        "tencent.1h": 20, "tencent.30s": 0, "tencent.day": 3,
    }  # fmt: skip
    for bad in ("nope=1", "tencent.1h=-1", "tencent.1h"):
        refused = smssign("accounts", "set", account_id, "--frequency", bad, database=database)
        assert refused.returncode != 0 and "--frequency" in refused.stderr, bad


def test_review_commands_work_while_the_server_runs(server: Server) -> None:
    from tests.clients.test_tencent_sdk import Sms

    sms = Sms(server, server.create_account(), "tc3-post", "2021-01-11")
    first = sms.add("审核命令一").AddSignStatus.SignId
    second = sms.add("审核命令二").AddSignStatus.SignId
    third = sms.add("审核命令三").AddSignStatus.SignId
    db = server.database_url

    listed = json.loads(
        smssign("review", "list", "--status", "pending", "--json", database=db).stdout
    )
    ids = [entry["id"] for entry in listed]
    assert ids.index(first) < ids.index(second) < ids.index(third), "oldest first"
    entry = next(e for e in listed if e["id"] == first)
    assert entry["name"] == "审核命令一" and entry["status"] == "pending"

    assert smssign("review", "approve", str(first), "--reply", "ok", database=db).returncode == 0
    assert smssign("review", "file", str(second), database=db).returncode == 0
    rejected = smssign("review", "reject", str(third), "--reason", "图片模糊", database=db)
    assert rejected.returncode == 0
    no_reason = smssign("review", "reject", str(first), database=db)
    assert no_reason.returncode != 0

    described = {e.SignId: e for e in sms.describe(first, second, third)}
    assert described[first].StatusCode == 0 and described[first].ReviewReply == "ok"
    assert described[second].StatusCode == 2
    assert described[third].StatusCode == -1 and described[third].ReviewReply == "图片模糊"

    # Approved is final: the CLI says so instead of failing obscurely.
    again = smssign("review", "reject", str(first), "--reason", "late", database=db)
    assert again.returncode == 1 and "from approved to rejected" in again.stderr
    filed = json.loads(
        smssign("review", "list", "--status", "filing", "--json", database=db).stdout
    )
    assert [e["id"] for e in filed] == [second]


def test_template_review_commands(server: Server) -> None:
    from tests.clients.test_tencent_sdk_templates import TemplateSms

    sms = TemplateSms(server, server.create_account(), "tc3-post", "2021-01-11")
    sign_id = sms.add("模板审核").AddSignStatus.SignId
    first = int(sms.add_template("验证码{1}").AddTemplateStatus.TemplateId)
    second = int(sms.add_template("通知{1}", SmsType=2).AddTemplateStatus.TemplateId)
    db = server.database_url

    listed = json.loads(
        smssign("review", "list", "--kind", "template", "--json", database=db).stdout
    )
    entry = next(e for e in listed if e["id"] == first)
    assert {k: entry[k] for k in ("name", "content", "status", "type", "international")} == {
        "name": "验证码",
        "content": "验证码{1}",
        "status": "pending",
        "type": "verification",
        "international": False,
    }
    assert isinstance(entry["account_id"], int)
    signatures = json.loads(smssign("review", "list", "--json", database=db).stdout)
    assert sign_id in [e["id"] for e in signatures] and first not in [e["id"] for e in signatures]

    approved = smssign("review", "approve", str(first), "--kind", "template", database=db)
    assert approved.returncode == 0 and "template" in approved.stdout
    rejected = smssign(
        "review", "reject", str(second), "--kind", "template", "--reason", "措辞", database=db
    )
    assert rejected.returncode == 0
    described = {e.TemplateId: e for e in sms.describe_templates(first, second)}
    assert described[first].StatusCode == 0
    assert (described[second].StatusCode, described[second].ReviewReply) == (-1, "措辞")
    assert sms.describe(sign_id)[0].StatusCode == 1, "the signature was not touched"


def test_help_lists_the_contract(tmp_path: Path) -> None:
    serve = smssign("serve", "--help", database=f"sqlite:///{tmp_path}/x.db").stdout
    for option in ("--host", "--port", "--database", "--data-dir", "--no-rate-limit", "--demo"):
        assert option in serve
    review = smssign("review", "--help", database=f"sqlite:///{tmp_path}/x.db").stdout
    for command in ("list", "approve", "file", "reject"):
        assert command in review
