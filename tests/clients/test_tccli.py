"""tccli as a subprocess, exactly as a user pastes it, including `serve --demo`'s command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Server, start_server, stop_server
from tests.samples import OTHER_PNG_B64, PNG_B64

BIN = Path(sys.executable).parent


def tccli(
    server: Server, account: dict[str, Any], home: Path, action: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TENCENTCLOUD_SECRET_ID": account["tencent"]["secret_id"],
        "TENCENTCLOUD_SECRET_KEY": account["tencent"]["secret_key"],
    }
    command = [
        str(BIN / "tccli"),
        "sms",
        action,
        "--endpoint",
        server.url,
        "--version",
        "2021-01-11",
        "--region",
        "ap-guangzhou",
        *args,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_tccli_add_modify_describe(server: Server, account: dict[str, Any], tmp_path: Path) -> None:
    added = tccli(
        server,
        account,
        tmp_path,
        "AddSmsSign",
        "--SignName",
        "命令行签名",
        "--SignType",
        "0",
        "--DocumentType",
        "1",
        "--International",
        "0",
        "--SignPurpose",
        "0",
        "--ProofImage",
        PNG_B64,
    )
    assert added.returncode == 0, added.stderr + added.stdout
    sign_id = json.loads(added.stdout)["AddSignStatus"]["SignId"]

    modified = tccli(
        server,
        account,
        tmp_path,
        "ModifySmsSign",
        "--SignId",
        str(sign_id),
        "--SignName",
        "命令行签名二",
        "--SignType",
        "0",
        "--DocumentType",
        "0",
        "--International",
        "0",
        "--SignPurpose",
        "0",
        "--ProofImage",
        OTHER_PNG_B64,
    )
    assert modified.returncode == 0, modified.stderr + modified.stdout
    assert json.loads(modified.stdout)["ModifySignStatus"] == {"SignId": sign_id}

    described = tccli(
        server,
        account,
        tmp_path,
        "DescribeSmsSignList",
        "--SignIdSet",
        f"[{sign_id}]",
        "--International",
        "0",
    )
    (entry,) = json.loads(described.stdout)["DescribeSignListStatusSet"]
    assert entry["SignName"] == "命令行签名二"


def test_tccli_prints_error_code(server: Server, account: dict[str, Any], tmp_path: Path) -> None:
    result = tccli(server, account, tmp_path, "DeleteSmsSign", "--SignId", "424242")
    assert result.returncode != 0
    assert "FailedOperation.SignIdNotExist" in result.stdout + result.stderr


def test_demo_prints_a_tccli_command_that_modifies(tmp_path: Path) -> None:
    demo = start_server(tmp_path, "--demo", "--no-rate-limit")
    try:
        printed = demo.log()
        command = next(line.strip() for line in printed.splitlines() if "ModifySmsSign" in line)
        env = {
            **os.environ,
            "HOME": str(tmp_path),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
        result = subprocess.run(
            ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        sign_id = json.loads(result.stdout)["ModifySignStatus"]["SignId"]
        signature = demo.run(lambda rt: rt.repository.signature(sign_id))
        assert signature is not None and signature.name == "演示签名二"
        assert len(demo.run(lambda rt: rt.repository.applications(sign_id))) == 2
    finally:
        stop_server(demo)


def test_tccli_send_sms_and_pull_its_status(
    server: Server, account: dict[str, Any], tmp_path: Path
) -> None:
    from tests.clients.test_tencent_sdk_sending import prepare

    template_id = prepare(server, account)
    app_id = str(account["legacy"]["sdkappid"])
    sent = tccli(
        server,
        account,
        tmp_path,
        "SendSms",
        "--PhoneNumberSet",
        '["+8613800138000", "12"]',
        "--SmsSdkAppId",
        app_id,
        "--TemplateId",
        str(template_id),
        "--SignName",
        "腾讯云",
        "--TemplateParamSet",
        '["4321", "5"]',
    )
    assert sent.returncode == 0, sent.stderr + sent.stdout
    ok, bad = json.loads(sent.stdout)["SendStatusSet"]
    assert (ok["Code"], ok["Fee"], bad["Code"]) == (
        "Ok",
        1,
        "InvalidParameterValue.IncorrectPhoneNumber",
    )
    pulled = None
    for _ in range(50):  # the server reports at once; allow its worker a moment
        result = tccli(
            server, account, tmp_path, "PullSmsSendStatus", "--SmsSdkAppId", app_id, "--Limit", "5"
        )
        pulled = json.loads(result.stdout)["PullSmsSendStatusSet"]
        if pulled:
            break
    assert pulled and pulled[0]["SerialNo"] == ok["SerialNo"]
    assert pulled[0]["ReportStatus"] == "SUCCESS"


def test_demo_prints_a_tccli_send_and_a_curl_that_reads_the_message_back(tmp_path: Path) -> None:
    """Pasted as printed, with the default rate and frequency limits: the send is accepted
    under the approved demo signature, and the inbox line returns that very message."""
    from smssign.app.demo import DEMO_ACCOUNT, DEMO_SENDING_SIGNATURE

    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def paste(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60
        )

    demo = start_server(tmp_path, "--demo")
    try:
        lines = [line.strip() for line in demo.log().splitlines()]
        send = next(line for line in lines if "tccli sms SendSms" in line)
        read = next(line for line in lines if line.startswith("curl "))
        assert f"{demo.url}/_smssign/messages/latest?mobile=%2B8613800138000" in read
        sent = paste(send)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        (status,) = json.loads(sent.stdout)["SendStatusSet"]
        assert (status["Code"], status["PhoneNumber"], status["Fee"]) == ("Ok", "+8613800138000", 1)
        got = paste(read)
        assert got.returncode == 0, got.stdout + got.stderr
        message = json.loads(got.stdout)
        assert message["text"] == f"【{DEMO_SENDING_SIGNATURE}】您的验证码是123456，5分钟内有效。"
        assert message["provider_message_id"] == status["SerialNo"]
        assert (message["mobile"], message["status"]) == ("+8613800138000", "delivered")
        # Only the inbox: the routes that erase or seed everything stay with --testing.
        assert httpx.post(f"{demo.url}/_smssign/reset", timeout=10).status_code == 404
        assert httpx.get(f"{demo.url}/_smssign/state", timeout=10).status_code == 404
    finally:
        stop_server(demo)

    async def signatures(rt: Any) -> list[tuple[str, str]]:
        account = await rt.repository.account_named(DEMO_ACCOUNT)
        found, _ = await rt.signatures.page(account)
        return [(s.name, s.status.value) for s in found]

    # A restart prints the same lines and makes no second sending signature.
    again = start_server(tmp_path, "--demo")
    try:
        assert send in again.log().replace(again.url, demo.url)
        assert again.run(signatures) == [
            ("演示签名", "pending"),
            (DEMO_SENDING_SIGNATURE, "approved"),
        ]
    finally:
        stop_server(again)
