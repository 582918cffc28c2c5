"""`smssign serve --testing --seed`: the /_smssign/ routes, seeds and reset, as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import sms_client

from smssign.client import LegacySignClient
from tests.backoffice import Receiver, smssign, wait_until
from tests.conftest import Server, start_server, stop_server
from tests.samples import png
from tests.testing.test_inprocess import add, describe
from tests.webhooks.test_reports import signed_by, yunpian_field

SEED = """\
accounts:
  - name: acme
    tencent: {secret_id: AKIDacme, secret_key: acme-secret}
    legacy: {sdkappid: 1400000001, appkey: acme-appkey}
    yunpian: {apikey: acme-apikey}
    aliyun: {access_key_id: LTAIacme, access_key_secret: acme-alisecret}
    qualifications:
      - {name: 某某科技有限公司, status: approved}
    signatures:
      - {name: 腾讯云, status: approved, qualification: 某某科技有限公司}
      - {name: 待审签名}
      - {name: 被拒签名, status: rejected, reason: 证明材料不清晰}
      - {name: 报备签名, status: filing, international: false}
  - name: solo
    certification: individual
    arrears: true
    ip_allow: [10.0.0.0/8]
    signature_quota: 3
"""
ACME = {"tencent": {"secret_id": "AKIDacme", "secret_key": "acme-secret"}}


def client_on(server: Server, account: dict[str, Any]) -> sms_client.SmsClient:
    cred = credential.Credential(account["tencent"]["secret_id"], account["tencent"]["secret_key"])
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=server.url[7:]))
    return sms_client.SmsClient(cred, "ap-guangzhou", profile)


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.yaml"
    path.write_text(SEED, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def testing(tmp_path_factory: pytest.TempPathFactory, seed_file: Path) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("testing"), "--testing", "--no-rate-limit", "--seed", str(seed_file)
    )
    yield server
    stop_server(server)


@pytest.fixture
def fresh(testing: Server) -> Server:
    """The module's server, reset to its seed."""
    assert httpx.post(f"{testing.url}/_smssign/reset").status_code == 200
    return testing


def state(server: Server) -> dict[str, Any]:
    reply = httpx.get(f"{server.url}/_smssign/state")
    assert reply.status_code == 200
    result: dict[str, Any] = reply.json()
    return result


def stored(server: Server) -> dict[str, Any]:
    """The state without what the webhook worker changes in the background."""
    now = state(server)
    for event in now["events"]:
        event.pop("dispatched_at")
    return now


def test_the_seed_is_there_with_its_fixed_credentials(fresh: Server) -> None:
    now = state(fresh)
    accounts = {a["name"]: a for a in now["accounts"]}
    assert accounts["acme"]["credentials"] == {
        "tencent": {"secret_id": "AKIDacme"},
        "legacy": {"sdkappid": 1400000001},
        "yunpian": {},
        "aliyun": {"access_key_id": "LTAIacme"},
    }
    solo = accounts["solo"]
    assert (solo["certification"], solo["arrears"], solo["ip_allow"], solo["signature_quota"]) == (
        "individual",
        True,
        ["10.0.0.0/8"],
        3,
    )
    assert [(s["id"], s["name"], s["status"], s["review_reply"]) for s in now["signatures"]] == [
        (1, "腾讯云", "approved", ""),
        (2, "待审签名", "pending", ""),
        (3, "被拒签名", "rejected", "证明材料不清晰"),
        (4, "报备签名", "filing", ""),
    ]
    assert now["signatures"][0]["qualification_id"] == now["qualifications"][0]["id"]
    assert [r["decision"] for r in now["reviews"]] == ["approved", "rejected", "filing"]
    assert [e["type"] for e in now["events"]].count("signature.submitted") == 4
    assert "acme-secret" not in str(now) and "acme-appkey" not in str(now)
    assert "acme-alisecret" not in str(now)

    client = client_on(fresh, ACME)
    assert [describe(client, i).StatusCode for i in (1, 2, 3, 4)] == [0, 1, -1, 2]
    yunpian = httpx.post(f"{fresh.url}/v2/sign/get.json", data={"apikey": "acme-apikey"})
    assert yunpian.json()["total"] == 4
    with LegacySignClient(1400000001, "acme-appkey", base_url=fresh.url) as legacy:
        assert legacy.get_sign_page().total == 4


def test_a_seeded_apikey_signs_the_replies_pushed_for_its_account(fresh: Server) -> None:
    (acme,) = [a for a in state(fresh)["accounts"] if a["name"] == "acme"]
    replies = Receiver(body=b"SUCCESS").start()
    try:
        urls = ["--status-url", replies.url, "--reply-url", replies.url]
        smssign(fresh, "callbacks", "set", str(acme["id"]), "yunpian", *urls)
        answer = httpx.post(
            f"{fresh.url}/_smssign/replies",
            json={"account_id": acme["id"], "mobile": "+8613800138000", "text": "收到"},
        )
        assert answer.status_code == 201, answer.text
        (push,) = wait_until(lambda: replies.received)
    finally:
        replies.stop()
    item = yunpian_field(push, "sms_reply")
    assert signed_by(item, "acme-apikey") and not signed_by(item, "")


def test_reset_erases_everything_then_restores_the_seed(fresh: Server) -> None:
    made = httpx.post(f"{fresh.url}/_smssign/accounts", json={"name": "extra"}).json()
    extra_client = client_on(fresh, made)
    with LegacySignClient(
        made["legacy"]["sdkappid"], made["legacy"]["appkey"], base_url=fresh.url
    ) as legacy:
        unique = png(5, 7, (1, 2, 3))
        legacy.add_sign("重置前的签名", pic=unique)
    blobs = sorted(p.name for p in (fresh.data_dir / "blobs").rglob("*") if p.is_file())
    assert len(blobs) == 2  # the seed's proof image and this one

    reply = httpx.post(f"{fresh.url}/_smssign/reset")
    assert reply.status_code == 200
    assert [a["name"] for a in reply.json()["accounts"]] == ["acme", "solo"]
    assert reply.json()["accounts"][0]["tencent"] == {
        "secret_id": "AKIDacme",
        "secret_key": "acme-secret",
    }
    now = state(fresh)
    assert [a["name"] for a in now["accounts"]] == ["acme", "solo"]
    assert [a["id"] for a in now["accounts"]] == [1, 2]
    assert [s["id"] for s in now["signatures"]] == [1, 2, 3, 4]
    with pytest.raises(TencentCloudSDKException) as caught:
        add(extra_client, "重置后")
    assert caught.value.get_code() == "AuthFailure.SecretIdNotFound"
    after = sorted(p.name for p in (fresh.data_dir / "blobs").rglob("*") if p.is_file())
    assert len(after) == 1 and after[0] in blobs


def test_accounts_and_reviews_over_http(fresh: Server) -> None:
    base = f"{fresh.url}/_smssign"
    made = httpx.post(f"{base}/accounts", json={"name": "new", "individual": True})
    assert made.status_code == 201
    assert set(made.json()) == {
        "id",
        "name",
        "certification",
        "tencent",
        "legacy",
        "yunpian",
        "aliyun",
    }
    assert made.json()["certification"] == "individual"
    assert httpx.post(f"{base}/accounts", json={"name": "new"}).status_code == 409

    assert httpx.post(f"{base}/signatures/2/approve").json() == {"id": 2, "status": "approved"}
    assert httpx.post(f"{base}/signatures/2/approve").status_code == 409
    rejected = httpx.post(f"{base}/signatures/4/reject", json={"reason": "资料不全"})
    assert rejected.json() == {"id": 4, "status": "rejected"}
    assert describe(client_on(fresh, ACME), 4).ReviewReply == "资料不全"
    sign_id = add(client_on(fresh, ACME), "再来一个")
    assert httpx.post(f"{base}/signatures/{sign_id}/file").json()["status"] == "filing"
    assert httpx.post(f"{base}/signatures/999/approve").status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("accounts", b"not json", 400),
        ("accounts", b"[1, 2]", 400),
        ("accounts", b'{"individual": false}', 400),
        ("accounts", b'{"name": "x", "individual": "yes"}', 400),
        ("accounts", b'{"name": "' + b"n" * 201 + b'"}', 400),
        ("signatures/2/reject", b"{}", 400),
        ("signatures/2/reject", b'{"reason": 5}', 400),
        ("signatures/2/burn", b"", 404),
        ("signatures/abc/approve", b"", 404),
        ("seed", b"accounts: [", 400),
        ("seed", b"accounts: [{name: x, colour: red}]", 400),
        ("seed", b"accounts: [{name: y, tencent: {secret_id: AKIDacme, secret_key: k}}]", 400),
        ("seed", b"x" * (1024 * 1024 + 1), 413),
    ],
)
def test_bad_requests_get_4xx_and_change_nothing(
    fresh: Server, path: str, body: bytes, status: int
) -> None:
    before = stored(fresh)
    reply = httpx.post(f"{fresh.url}/_smssign/{path}", content=body)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    assert stored(fresh) == before


def test_seed_over_http_adds_and_keeps_existing_accounts(fresh: Server) -> None:
    body = "accounts:\n  - name: acme\n  - name: later\n    signatures: [{name: 后来的}]\n"
    reply = httpx.post(f"{fresh.url}/_smssign/seed", content=body.encode())
    assert reply.status_code == 200
    assert reply.json()["kept"] == ["acme"]
    [later] = reply.json()["accounts"]
    assert later["name"] == "later"
    assert later["signatures"] == [{"id": 5, "name": "后来的", "status": "pending"}]
    assert later["yunpian"]["apikey"]


def test_without_testing_the_routes_do_not_exist_but_the_seed_applies(
    tmp_path: Path, seed_file: Path
) -> None:
    server = start_server(tmp_path, "--no-rate-limit", "--seed", str(seed_file))
    try:
        for method, route in [("GET", "state"), ("POST", "reset"), ("POST", "accounts")]:
            assert httpx.request(method, f"{server.url}/_smssign/{route}").status_code == 404
        assert describe(client_on(server, ACME), 1).SignName == "腾讯云"
        assert "seeded account 1 acme" in server.log()
    finally:
        stop_server(server)


def test_a_bad_seed_file_stops_serve_before_it_listens(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("accounts:\n  - name: acme\n    signatures: [{name: x, status: lost}]\n")
    done = subprocess.run(
        [sys.executable, "-m", "smssign", "serve", "--testing", "--seed", str(bad)],
        cwd=tmp_path,
        env={**os.environ, "SMSSIGN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "accounts[0].signatures[0].status" in done.stderr


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        # What a page on another site can send without asking first: a form, text/plain.
        ("reset", {"Origin": "https://evil.example"}, b""),
        ("accounts", {"Origin": "https://evil.example"}, b'{"name": "planted"}'),
        ("signatures/2/approve", {"Origin": "null"}, b""),
        ("seed", {"Origin": "http://127.0.0.1.evil.example"}, b"accounts: [{name: planted}]"),
    ],
)
def test_cross_site_requests_are_refused(
    fresh: Server, path: str, headers: dict[str, str], body: bytes
) -> None:
    before = stored(fresh)
    reply = httpx.post(
        f"{fresh.url}/_smssign/{path}",
        content=body,
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert reply.status_code == 403, reply.text
    assert "cross-site" in reply.json()["error"]
    reply = httpx.post(f"{fresh.url}/_smssign/{path}", content=body, headers=headers)
    assert reply.status_code == 403
    assert stored(fresh) == before


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("accounts", "text/plain", b'{"name": "planted"}'),
        ("accounts", "application/x-www-form-urlencoded", b"name=planted"),
        ("accounts", "multipart/form-data; boundary=x", b"--x--"),
        ("seed", "text/plain", b"accounts: [{name: planted}]"),
        ("reset", "application/x-www-form-urlencoded", b""),
    ],
)
def test_bodies_must_be_declared_json(
    fresh: Server, path: str, content_type: str, body: bytes
) -> None:
    before = stored(fresh)
    reply = httpx.post(
        f"{fresh.url}/_smssign/{path}", content=body, headers={"Content-Type": content_type}
    )
    assert reply.status_code == 415, reply.text
    assert stored(fresh) == before


def test_same_origin_and_loopback_pages_may_call(fresh: Server) -> None:
    base = f"{fresh.url}/_smssign"
    for origin in (fresh.url, "http://localhost:3000", "http://[::1]:5173"):
        made = httpx.post(
            f"{base}/accounts", json={"name": f"from {origin}"}, headers={"Origin": origin}
        )
        assert made.status_code == 201, made.text
    seeded = httpx.post(
        f"{base}/seed",
        content=b"accounts: [{name: yaml-typed}]",
        headers={"Content-Type": "application/yaml"},
    )
    assert seeded.status_code == 200
