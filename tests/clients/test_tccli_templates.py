"""tccli's template commands as a subprocess, as a user types them, in both API versions."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from smssign.core.model import Draft, Image
from tests.clients.test_tccli import BIN
from tests.conftest import Server
from tests.samples import png


def tccli(
    server: Server, account: dict[str, Any], home: Path, version: str, action: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TENCENTCLOUD_SECRET_ID": account["tencent"]["secret_id"],
        "TENCENTCLOUD_SECRET_KEY": account["tencent"]["secret_key"],
    }
    command = [str(BIN / "tccli"), "sms", action, "--endpoint", server.url]
    command += ["--version", version, "--region", "ap-guangzhou", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


@pytest.mark.parametrize("version", ["2021-01-11", "2019-07-11"])
def test_tccli_template_lifecycle(
    server: Server, account: dict[str, Any], tmp_path: Path, version: str
) -> None:
    server.run(lambda rt: _apply_for_a_signature(rt, account["id"]))
    fields = ["--SmsType", "0", "--International", "0", "--Remark", "命令行"]
    added = ok(
        tccli(
            server, account, tmp_path, version, "AddSmsTemplate",
            "--TemplateName", "命令行模板", "--TemplateContent", "验证码{1}", *fields,
        )
    )  # fmt: skip
    template_id = added["AddTemplateStatus"]["TemplateId"]
    assert isinstance(template_id, str)
    modified = ok(
        tccli(
            server, account, tmp_path, version, "ModifySmsTemplate",
            "--TemplateId", template_id, "--TemplateName", "命令行模板二",
            "--TemplateContent", "验证码{1}，{2}分钟有效", *fields,
        )
    )  # fmt: skip
    assert modified["ModifyTemplateStatus"]["TemplateId"] == int(template_id)
    server.review_template(int(template_id), "rejected", "请说明用途")
    described = ok(
        tccli(
            server, account, tmp_path, version, "DescribeSmsTemplateList",
            "--TemplateIdSet", f"[{template_id}]", "--International", "0",
        )
    )  # fmt: skip
    [status] = described["DescribeTemplateStatusSet"]
    assert (status["TemplateName"], status["StatusCode"], status["ReviewReply"]) == (
        "命令行模板二",
        -1,
        "请说明用途",
    )
    deleted = ok(
        tccli(server, account, tmp_path, version, "DeleteSmsTemplate", "--TemplateId", template_id)
    )
    assert deleted["DeleteTemplateStatus"]["DeleteStatus"] == "return successfully!"


def test_tccli_prints_template_error_codes(
    server: Server, account: dict[str, Any], tmp_path: Path
) -> None:
    done = tccli(
        server, account, tmp_path, "2021-01-11", "AddSmsTemplate",
        "--TemplateName", "无签名", "--TemplateContent", "验证码{1}",
        "--SmsType", "0", "--International", "0", "--Remark", "",
    )  # fmt: skip
    assert done.returncode != 0
    assert "FailedOperation.MissingSignature" in done.stdout + done.stderr
    done = tccli(
        server, account, tmp_path, "2021-01-11", "DeleteSmsTemplate", "--TemplateId", "987654"
    )
    assert done.returncode != 0 and "TemplateId" in done.stdout + done.stderr


async def _apply_for_a_signature(rt: Any, account_id: int) -> None:
    owner = await rt.accounts.get(account_id)
    image = Image(png(), "PNG", 8, 8)
    draft = Draft(name="命令行签名", sign_type=0, document_type=1, proof_images=(image,))
    await rt.signatures.add(owner, draft, dialect="test")
