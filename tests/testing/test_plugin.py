"""The pytest plugin: its fixtures in this suite, and its options in a user's project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as models21
from tencentcloud.sms.v20210111 import sms_client

from smssign.testing import SmsMock, SmssignServer
from tests.samples import PNG_B64
from tests.testing.test_inprocess import add, describe, tencent

SEED = """\
accounts:
  - name: seeded
    tencent: {secret_id: AKIDseeded, secret_key: seeded-secret}
    signatures:
      - {name: 种子签名, status: approved}
"""
SEEDED = {"tencent": {"secret_id": "AKIDseeded", "secret_key": "seeded-secret"}}


def on_server(server: SmssignServer, account: dict[str, Any]) -> sms_client.SmsClient:
    cred = credential.Credential(account["tencent"]["secret_id"], account["tencent"]["secret_key"])
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=server.endpoint))
    return sms_client.SmsClient(cred, "ap-guangzhou", profile)


def test_server_fixture_is_a_real_server_with_an_operator_side(
    smssign_server: SmssignServer, smssign_account: dict[str, Any]
) -> None:
    assert smssign_server.url == f"http://127.0.0.1:{smssign_server.port}"
    assert smssign_server.endpoint == f"127.0.0.1:{smssign_server.port}"
    assert httpx.get(f"{smssign_server.url}/healthz").json() == {"status": "ok"}
    assert set(smssign_account) == {
        "id",
        "name",
        "certification",
        "tencent",
        "legacy",
        "yunpian",
        "aliyun",
    }
    assert smssign_account["certification"] == "enterprise"

    client = on_server(smssign_server, smssign_account)
    sign_id = add(client, "夹具签名")
    smssign_server.file(sign_id)
    assert describe(client, sign_id).StatusCode == 2
    smssign_server.approve(sign_id)
    assert describe(client, sign_id).StatusCode == 0

    solo = smssign_server.create_account("solo", individual=True)
    assert solo["certification"] == "individual"
    state = httpx.get(f"{smssign_server.url}/_smssign/state").json()
    assert [a["name"] for a in state["accounts"]] == [smssign_account["name"], "solo"]
    assert [(s["id"], s["status"]) for s in state["signatures"]] == [(sign_id, "approved")]


def test_each_test_gets_a_fresh_server(smssign_server: SmssignServer) -> None:
    # The previous test's account and signature are not here.
    assert smssign_server.state()["accounts"] == []
    assert smssign_server.create_account("first")["id"] == 1


@pytest.mark.smssign(auto_review="approve")
def test_marker_turns_auto_review_on_for_the_server(
    smssign_server: SmssignServer, smssign_account: dict[str, Any]
) -> None:
    client = on_server(smssign_server, smssign_account)
    assert describe(client, add(client, "自动")).StatusCode == 0


@pytest.mark.smssign(auto_review="reject", seed="seed_for_marker.yaml")
def test_marker_seed_is_relative_to_the_test_file(smssign_mock: SmsMock) -> None:
    client = tencent(SEEDED)
    assert describe(client, 1).SignName == "种子签名"
    assert describe(client, add(client, "被拒")).StatusCode == -1


def test_mock_fixture_answers_the_default_endpoint(smssign_mock: SmsMock) -> None:
    account = smssign_mock.create_account("acme")
    sign_id = add(tencent(account), "模拟")
    smssign_mock.reject(sign_id, "不通过")
    assert describe(tencent(account), sign_id).ReviewReply == "不通过"


# --- in a user's project -------------------------------------------------------------

SUPPORT = f"""\
import json

from tencentcloud.common import credential
from tencentcloud.sms.v20210111 import models, sms_client

PNG_B64 = {PNG_B64!r}


def tencent(account):
    key = account["tencent"]
    return sms_client.SmsClient(
        credential.Credential(key["secret_id"], key["secret_key"]), "ap-guangzhou"
    )


def add(client, name):
    request = models.AddSmsSignRequest()
    request.from_json_string(json.dumps({{
        "SignName": name, "SignType": 0, "DocumentType": 1, "International": 0,
        "SignPurpose": 0, "ProofImage": PNG_B64,
    }}))
    return client.AddSmsSign(request).AddSignStatus.SignId


def describe(client, sign_id):
    request = models.DescribeSmsSignListRequest()
    request.from_json_string(json.dumps({{"SignIdSet": [sign_id], "International": 0}}))
    return client.DescribeSmsSignList(request).DescribeSignListStatusSet[0]
"""

USER_TEST = """\
import os

import pytest
from tests_support import add, describe, tencent

SEEDED = {"tencent": {"secret_id": "AKIDseeded", "secret_key": "seeded-secret"}}
EXPECTED = int(os.environ["EXPECTED_STATUS"])


def test_options_from_the_ini_file_or_command_line(smssign_mock):
    assert describe(tencent(SEEDED), 1).StatusCode == 0
    client = tencent(smssign_mock.create_account("acme"))
    assert describe(client, add(client, "新签名")).StatusCode == EXPECTED


def test_the_server_fixture_gets_the_same_options(smssign_server):
    assert [a["name"] for a in smssign_server.state()["accounts"]] == ["seeded"]


@pytest.mark.smssign(auto_review="off")
def test_a_marker_beats_both(smssign_mock):
    client = tencent(smssign_mock.create_account("acme"))
    assert describe(client, add(client, "人工")).StatusCode == 1
"""


@pytest.fixture(scope="module")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("user-project")
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.pytest.ini_options]
            smssign_auto_review = "approve"
            smssign_seed = "fixtures/seed.yaml"
            filterwarnings = ["error"]
            """
        )
    )
    (root / "fixtures").mkdir()
    (root / "fixtures" / "seed.yaml").write_text(SEED, encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_user.py").write_text(USER_TEST, encoding="utf-8")
    (root / "tests_support.py").write_text(SUPPORT, encoding="utf-8")
    return root


def run_pytest(project: Path, *args: str, expected: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXPECTED_STATUS": str(expected), "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_users_suite_gets_ini_seed_command_line_review_and_markers(user_project: Path) -> None:
    # The ini file says approve and names the seed; the command line says reject.
    done = run_pytest(user_project, "--smssign-auto-review", "reject", expected=-1)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


class _Config:
    """The parts of pytest's config the plugin reads, with chosen answers."""

    def __init__(self, real: pytest.Config, options: dict[str, Any], ini: dict[str, Any]):
        self.real, self.options, self.ini = real, options, ini
        self.invocation_params = real.invocation_params
        self.stash = real.stash

    def getoption(self, name: str) -> Any:
        return self.options.get(name)

    def getini(self, name: str) -> Any:
        return self.ini.get(name, [] if name == "smssign_seed" else "")


def options_for(
    request: pytest.FixtureRequest, options: dict[str, Any], ini: dict[str, Any]
) -> Any:
    from smssign.testing.plugin import _Options

    class Request:
        config = _Config(request.config, options, ini)
        node = request.node
        path = request.path

    return _Options(Request())  # type: ignore[arg-type]


def test_the_ini_file_alone_sets_the_options(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED, encoding="utf-8")
    chosen = options_for(request, {}, {"smssign_auto_review": "approve", "smssign_seed": [seed]})
    assert chosen.auto_review == "approve"
    assert [a.name for a in chosen.seed.accounts] == ["seeded"]
    plain = options_for(request, {}, {})
    assert (plain.auto_review, plain.rate_limit, plain.seed) == ("off", False, None)


def test_bad_options_are_usage_errors(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(json.dumps({"accounts": [{"name": "x", "colour": "red"}]}))
    with pytest.raises(pytest.UsageError, match=r"unknown key\(s\) colour"):
        options_for(request, {"--smssign-seed": str(broken)}, {})
    with pytest.raises(pytest.UsageError, match="auto_review"):
        options_for(request, {}, {"smssign_auto_review": "sometimes"})


@pytest.mark.smssign(colour="red")
def test_unknown_marker_options_are_usage_errors(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="colour"):
        options_for(request, {}, {})


def _add_template(client: sms_client.SmsClient) -> int:
    """A new template; the account must have applied for a signature."""
    request = models21.AddSmsTemplateRequest()
    request.from_json_string(
        json.dumps(
            {
                "TemplateName": "验证码",
                "TemplateContent": "验证码{1}",
                "SmsType": 3,
                "International": 0,
                "Remark": "",
            }
        )
    )
    return int(client.AddSmsTemplate(request).AddTemplateStatus.TemplateId)


def _describe_template(client: sms_client.SmsClient, template_id: int) -> Any:
    request = models21.DescribeSmsTemplateListRequest()
    request.from_json_string(json.dumps({"TemplateIdSet": [template_id], "International": 0}))
    (found,) = client.DescribeSmsTemplateList(request).DescribeTemplateStatusSet
    return found


def test_server_fixture_reviews_templates(
    smssign_server: SmssignServer, smssign_account: dict[str, Any]
) -> None:
    client = on_server(smssign_server, smssign_account)
    add(client, "模板夹具")
    approved, rejected = _add_template(client), _add_template(client)
    smssign_server.approve_template(approved)
    smssign_server.reject_template(rejected, "措辞不当")
    assert _describe_template(client, approved).StatusCode == 0
    found = _describe_template(client, rejected)
    assert (found.StatusCode, found.ReviewReply) == (-1, "措辞不当")


def test_mock_fixture_reviews_templates(smssign_mock: SmsMock) -> None:
    client = tencent(smssign_mock.create_account("acme"))
    add(client, "模板夹具")
    approved, rejected = _add_template(client), _add_template(client)
    smssign_mock.approve_template(approved)
    smssign_mock.reject_template(rejected, "不通过")
    assert _describe_template(client, approved).StatusCode == 0
    assert _describe_template(client, rejected).ReviewReply == "不通过"
