"""Revoking operators from the command line, seen over HTTP; admin image headers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.backoffice import (
    PASSWORD,
    add_signature,
    create_operator,
    csrf_of,
    login,
    operator_token,
    smssign,
    tencent,
)
from tests.conftest import Server
from tests.samples import PNG_B64


def me(server: Server, token: str) -> int:
    reply = httpx.get(f"{server.url}/admin/api/me", headers={"Authorization": f"Bearer {token}"})
    return reply.status_code


def console(client: httpx.Client) -> int:
    return client.get("/console/").status_code


def test_a_password_change_ends_console_sessions(server: Server) -> None:
    create_operator(server, "carol")
    browser = login(server, "carol")
    assert console(browser) == 200
    smssign(server, "operators", "password", "carol", "--password-stdin", stdin="a new one!\n")
    assert console(browser) == 303
    login(server, "carol", "a new one!").close()
    browser.close()


def test_disable_ends_sessions_and_tokens_at_once(server: Server) -> None:
    create_operator(server, "dave")
    browser = login(server, "dave")
    token = operator_token(server, "dave")
    assert (console(browser), me(server, token)) == (200, 200)
    out = smssign(server, "operators", "disable", "dave")
    assert "disabled" in out.stdout
    assert (console(browser), me(server, token)) == (303, 401)
    browser.close()
    listed = smssign(server, "operators", "list").stdout
    assert any(line.split("\t")[1:] == ["dave", "disabled"] for line in listed.splitlines())
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/console/login")
        refused = client.post(
            "/console/login",
            data={"csrf": csrf_of(page.text), "name": "dave", "password": PASSWORD},
        )
        assert refused.status_code == 401
    # The name is a contract: an unknown one is an error, not a silent success.
    unknown = smssign(server, "operators", "disable", "nobody", check=False)
    assert unknown.returncode == 1
    assert "no operator 'nobody'" in unknown.stderr


def test_tokens_are_listed_and_revoked_one_by_one(server: Server) -> None:
    create_operator(server, "erin")
    first = operator_token(server, "erin")
    second = smssign(
        server, "operators", "token", "erin", "--label", "ci", "--expires-in", "30"
    ).stdout.splitlines()[-1]
    listed = json.loads(smssign(server, "operators", "tokens", "erin", "--json").stdout)
    assert [(k["label"], k["state"], k["operator"]) for k in listed] == [
        ("", "active", "erin"),
        ("ci", "active", "erin"),
    ]
    assert listed[0]["expires_at"] is None
    assert 29.9 * 86400 < listed[1]["expires_at"] - listed[1]["created_at"] <= 30 * 86400
    assert first not in json.dumps(listed) and second not in json.dumps(listed)

    out = smssign(server, "operators", "revoke-token", str(listed[0]["id"]))
    assert f"token {listed[0]['id']} of erin: revoked" in out.stdout
    assert (me(server, first), me(server, second)) == (401, 200)
    table = smssign(server, "operators", "tokens", "erin").stdout.splitlines()
    assert [line.split("\t")[1] for line in table] == ["revoked", "active"]
    missing = smssign(server, "operators", "revoke-token", "987654", check=False)
    assert missing.returncode == 1 and "no token 987654" in missing.stderr


def test_admin_images_are_sandboxed_like_the_consoles(
    server: Server, account: dict[str, Any]
) -> None:
    create_operator(server, "frank")
    token = operator_token(server, "frank")
    sign_id = add_signature(tencent(server, account), "沙箱图片", proof=PNG_B64)
    with httpx.Client(
        base_url=f"{server.url}/admin/api", headers={"Authorization": f"Bearer {token}"}
    ) as api:
        (digest,) = api.get(f"/signatures/{sign_id}").json()["signature"]["proof_images"]
        image = api.get(f"/images/{digest}")
    assert image.status_code == 200
    assert image.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert image.headers["x-content-type-options"] == "nosniff"
