"""Console sessions, CSRF and bad input over plain HTTP: what a browser or an attacker sends."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.core.model import Status
from tests.backoffice import (
    PASSWORD,
    add_signature,
    create_operator,
    csrf_of,
    login,
    smssign,
    tencent,
)
from tests.conftest import Server
from tests.samples import JPEG_B64, PNG_B64


@pytest.fixture(scope="module")
def operator(server: Server) -> str:
    create_operator(server, "alice")
    return "alice"


@pytest.fixture
def session(server: Server, operator: str) -> Iterator[httpx.Client]:
    client = login(server, operator)
    yield client
    client.close()


@pytest.fixture
def pending(server: Server, account: dict[str, Any]) -> int:
    return add_signature(tencent(server, account), f"待审{account['id']}")


def status_of(server: Server, sign_id: int) -> Status:
    signature = server.run(lambda rt: rt.repository.signature(sign_id))
    assert signature is not None
    return signature.status


def review_form(session: httpx.Client, sign_id: int, **fields: str) -> httpx.Response:
    page = session.get(f"/console/signatures/{sign_id}")
    return session.post(
        f"/console/signatures/{sign_id}/review", data={"csrf": csrf_of(page.text), **fields}
    )


# --- sessions -------------------------------------------------------------------------


def test_pages_need_a_login(server: Server, pending: int) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        reply = anonymous.get("/console/queue")
        assert reply.status_code == 303
        assert reply.headers["location"] == "/console/login?next=%2Fconsole%2Fqueue"
        assert anonymous.get("/console/images/" + "0" * 64).status_code == 303
        posted = anonymous.post(
            f"/console/signatures/{pending}/review", data={"decision": "approved"}
        )
        assert posted.status_code == 303
    assert status_of(server, pending) is Status.PENDING


def test_login_sets_a_signed_httponly_samesite_cookie(server: Server, operator: str) -> None:
    with httpx.Client(base_url=server.url) as client:
        form = client.get("/console/login")
        reply = client.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "name": operator, "password": PASSWORD},
        )
        assert reply.status_code == 303
        cookie = next(
            v
            for k, v in reply.headers.multi_items()
            if k == "set-cookie" and "smssign_session" in v
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/console" in cookie
        assert client.get("/console/").status_code == 200

        # An edited cookie is refused outright.
        value = client.cookies["smssign_session"]
        client.cookies.set("smssign_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
        assert client.get("/console/").status_code == 303


def test_wrong_password_and_unknown_name_look_the_same(server: Server, operator: str) -> None:
    def attempt(name: str, password: str) -> httpx.Response:
        with httpx.Client(base_url=server.url) as client:
            form = client.get("/console/login")
            return client.post(
                "/console/login",
                data={"csrf": csrf_of(form.text), "name": name, "password": password},
            )

    wrong = attempt(operator, "not the password")
    unknown = attempt("nobody-at-all", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong name or password" in wrong.text and "wrong name or password" in unknown.text
    assert "smssign_session" not in wrong.headers.get("set-cookie", "")


def test_repeated_failures_lock_the_name(server: Server) -> None:
    create_operator(server, "bob")
    with httpx.Client(base_url=server.url) as client:
        for _ in range(5):
            form = client.get("/console/login")
            client.post(
                "/console/login", data={"csrf": csrf_of(form.text), "name": "bob", "password": "x"}
            )
        form = client.get("/console/login")
        locked = client.post(
            "/console/login", data={"csrf": csrf_of(form.text), "name": "bob", "password": PASSWORD}
        )
        assert locked.status_code == 429
        assert "too many failed logins" in locked.text
    # An administrator lifts the lock from the command line.
    smssign(server, "operators", "unlock", "bob")
    login(server, "bob").close()


def test_logout_ends_the_session_for_good(server: Server, operator: str) -> None:
    client = login(server, operator)
    stolen = client.cookies["smssign_session"]
    page = client.get("/console/")
    assert client.post("/console/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    with httpx.Client(base_url=server.url, cookies={"smssign_session": stolen}) as replay:
        assert replay.get("/console/").status_code == 303
    client.close()


# --- CSRF -----------------------------------------------------------------------------


def test_forms_without_the_csrf_token_change_nothing(
    server: Server, session: httpx.Client, pending: int
) -> None:
    missing = session.post(f"/console/signatures/{pending}/review", data={"decision": "approved"})
    assert missing.status_code == 403
    assert "expired or did not come from the console" in missing.text
    forged = session.post(
        f"/console/signatures/{pending}/review", data={"decision": "approved", "csrf": "0" * 64}
    )
    assert forged.status_code == 403
    assert status_of(server, pending) is Status.PENDING


def test_a_token_from_another_session_does_not_work(
    server: Server, operator: str, session: httpx.Client, pending: int
) -> None:
    other = login(server, operator)
    token = csrf_of(other.get("/console/").text)
    reply = session.post(
        f"/console/signatures/{pending}/review", data={"decision": "approved", "csrf": token}
    )
    assert reply.status_code == 403
    assert status_of(server, pending) is Status.PENDING
    other.close()


def test_login_form_needs_its_token_too(server: Server, operator: str) -> None:
    with httpx.Client(base_url=server.url) as client:
        reply = client.post("/console/login", data={"name": operator, "password": PASSWORD})
        assert reply.status_code == 403
        assert "login form expired" in reply.text
        assert "smssign_session" not in reply.headers.get("set-cookie", "")
        # The page it answers with carries a fresh token that works.
        again = client.post(
            "/console/login",
            data={"csrf": csrf_of(reply.text), "name": operator, "password": PASSWORD},
        )
        assert again.status_code == 303


# --- reviewing ------------------------------------------------------------------------


def test_approve_and_reject_through_forms(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    client = tencent(server, account)
    first = add_signature(client, "表单通过")
    second = add_signature(client, "表单驳回")
    approved = review_form(session, first, decision="approved", back="queue")
    assert approved.status_code == 303
    assert approved.headers["location"] == f"/console/queue?done=approved&id={first}"
    assert f"Signature {first} approved." in session.get(approved.headers["location"]).text
    assert status_of(server, first) is Status.APPROVED

    rejected = review_form(session, second, decision="rejected", reason="  名称与证件不符 ")
    assert rejected.status_code == 303
    page = session.get(rejected.headers["location"]).text
    assert "名称与证件不符" in page
    signature = server.run(lambda rt: rt.repository.signature(second))
    assert signature is not None and signature.review_reply == "名称与证件不符"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"decision": "rejected", "reason": "   "}, 400, "A rejection needs a reason"),
        ({"decision": "rejected"}, 400, "A rejection needs a reason"),
        ({"decision": "delete-everything"}, 400, "Choose approve, start filing or reject"),
        ({"decision": "rejected", "reason": "x" * 501}, 400, "at most 500 characters"),
    ],
)
def test_bad_review_forms_get_a_page_saying_why(
    server: Server,
    session: httpx.Client,
    pending: int,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    reply = review_form(session, pending, **fields)
    assert reply.status_code == status
    assert message in reply.text
    assert "<form" in reply.text  # a whole console page, logout form included
    assert status_of(server, pending) is Status.PENDING


def test_deciding_twice_is_a_conflict_not_an_error(
    server: Server, session: httpx.Client, pending: int
) -> None:
    assert review_form(session, pending, decision="approved").status_code == 303
    again = review_form(session, pending, decision="rejected", reason="太晚了")
    assert again.status_code == 409
    assert "The signature is approved now, so it cannot become rejected." in again.text
    assert status_of(server, pending) is Status.APPROVED


@pytest.mark.parametrize(
    "path",
    [
        "/console/signatures/0",
        "/console/signatures/99999999",
        "/console/signatures/99999999999999999999999",
        "/console/signatures/１２",
        "/console/accounts/abc",
        "/console/deliveries/-1",
        "/console/images/not-a-digest",
        "/console/images/" + "a" * 64,
    ],
)
def test_unknown_things_are_404_pages(session: httpx.Client, path: str) -> None:
    reply = session.get(path)
    assert reply.status_code == 404
    assert "There is nothing here" in reply.text


@pytest.mark.parametrize(
    "query",
    [
        "status=sleeping",
        "page=0",
        "page=abc",
        "account=x",
        "account=99999999999999999999999",
        "q=%00",
        "q=a%0Db",
    ],
)
def test_bad_filters_are_400_pages(session: httpx.Client, query: str) -> None:
    reply = session.get(f"/console/signatures?{query}")
    assert reply.status_code == 400
    assert "<h1>That did not work</h1>" in reply.text


def test_malformed_form_bodies(server: Server, session: httpx.Client, pending: int) -> None:
    url = f"/console/signatures/{pending}/review"
    token = csrf_of(session.get("/console/").text)
    as_json = session.post(url, json={"csrf": token, "decision": "approved"})
    assert as_json.status_code == 415
    not_utf8 = session.post(
        url,
        content=b"csrf=" + token.encode() + b"&decision=%FF%FE",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert not_utf8.status_code == 400
    nul = session.post(url, data={"csrf": token, "decision": "rejected", "reason": "a\x00b"})
    assert nul.status_code == 400
    huge = session.post(url, data={"csrf": token, "decision": "rejected", "reason": "x" * 70_000})
    assert huge.status_code == 413
    assert status_of(server, pending) is Status.PENDING


# --- accounts and webhooks ------------------------------------------------------------


def test_account_policy_form(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    path = f"/console/accounts/{account['id']}"
    token = csrf_of(session.get(path).text)
    saved = session.post(
        f"{path}/policy",
        data={
            "csrf": token,
            "certification": "enterprise",
            "arrears": "on",
            "ip_allow": "10.0.0.0/8\n192.168.1.7",
            "quota": "7",
        },
    )
    assert saved.status_code == 303
    found = server.run(lambda rt: rt.accounts.get(account["id"]))
    assert found.arrears and found.ip_allow == ("10.0.0.0/8", "192.168.1.7/32")
    assert found.signature_quota == 7

    bad_network = session.post(
        f"{path}/policy",
        data={"csrf": token, "certification": "enterprise", "ip_allow": "10.0.0/33", "quota": "7"},
    )
    assert bad_network.status_code == 400 and "not an IP address or network" in bad_network.text
    bad_quota = session.post(
        f"{path}/policy",
        data={"csrf": token, "certification": "enterprise", "ip_allow": "", "quota": "lots"},
    )
    assert bad_quota.status_code == 400
    bad_cert = session.post(
        f"{path}/policy", data={"csrf": token, "certification": "alien", "quota": "1"}
    )
    assert bad_cert.status_code == 400
    assert server.run(lambda rt: rt.accounts.get(account["id"])).signature_quota == 7


def test_rotation_shows_the_new_secret_once(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    path = f"/console/accounts/{account['id']}"
    token = csrf_of(session.get(path).text)
    rotated = session.post(f"{path}/rotate", data={"csrf": token, "dialect": "tencent"})
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    secret = re.search(r'class="secret-value">([0-9a-f]{32})<', rotated.text)
    assert secret is not None
    assert secret.group(1) not in session.get(path).text
    # The old credential stops working, the new one works.
    new_id = re.search(r'class="key-id">(AKID[0-9a-f]+)<', rotated.text)
    assert new_id is not None
    fresh = {"tencent": {"secret_id": new_id.group(1), "secret_key": secret.group(1)}}
    assert add_signature(tencent(server, fresh), "轮换后签名") > 0
    unknown = session.post(f"{path}/rotate", data={"csrf": token, "dialect": "fax"})
    assert unknown.status_code == 400


def test_webhook_form_validates_and_makes_up_a_secret(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    path = f"/console/accounts/{account['id']}"
    token = csrf_of(session.get(path).text)
    bad = session.post(f"{path}/webhook", data={"csrf": token, "url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "http:// or https://" in bad.text
    made = session.post(
        f"{path}/webhook",
        data={"csrf": token, "url": "http://127.0.0.1:9/hook", "enabled": "on"},
    )
    assert made.status_code == 200
    shown = re.search(r'class="secret-value">(whsec_[0-9a-f]+)<', made.text)
    assert shown is not None
    assert shown.group(1) not in session.get(path).text
    kept = session.post(f"{path}/webhook", data={"csrf": token, "url": "https://example.invalid/x"})
    assert kept.status_code == 303
    hook = server.run(lambda rt: _webhook(rt, account["id"]))
    assert hook is not None
    assert hook.secret == shown.group(1) and not hook.enabled
    removed = session.post(f"{path}/webhook", data={"csrf": token, "action": "remove"})
    assert removed.status_code == 303
    assert server.run(lambda rt: _webhook(rt, account["id"])) is None


async def _webhook(runtime: Any, account_id: int) -> Any:
    from smssign.backoffice.services import open_backoffice

    async with open_backoffice(runtime) as backoffice:
        return await backoffice.webhooks.get(account_id)


def test_pages_carry_security_headers(session: httpx.Client) -> None:
    reply = session.get("/console/")
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"


def test_console_pages_render(
    server: Server, session: httpx.Client, account: dict[str, Any], pending: int
) -> None:
    for path in (
        "/console/",
        "/console/queue",
        "/console/signatures",
        f"/console/signatures?status=pending&account={account['id']}&q=待审",
        f"/console/signatures/{pending}",
        "/console/accounts",
        f"/console/accounts/{account['id']}",
        "/console/deliveries",
        "/console/deliveries?status=failed",
    ):
        reply = session.get(path)
        assert reply.status_code == 200, (path, reply.text)
        assert "Log out" in reply.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/console/", "/console/\r\nSet-Cookie: x=1", "/admin/"],
)
def test_login_only_returns_to_console_pages(server: Server, operator: str, target: str) -> None:
    with httpx.Client(base_url=server.url) as client:
        form = client.get("/console/login", params={"next": target})
        assert form.status_code == 200
        reply = client.post(
            "/console/login",
            data={
                "csrf": csrf_of(form.text),
                "name": operator,
                "password": PASSWORD,
                "next": target,
            },
        )
        assert reply.status_code == 303
        assert reply.headers["location"] == "/console/"


def test_notices_only_say_what_the_console_wrote(session: httpx.Client) -> None:
    page = session.get("/console/", params={"done": "approved", "id": "<b>7</b>"})
    assert "Signature  approved." in page.text and "<b>7</b>" not in page.text
    assert session.get("/console/", params={"done": "\x00", "id": "\x00"}).status_code == 200


def test_queue_shows_proof_and_commission_images(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    sign_id = add_signature(
        tencent(server, account), "委托签名", proof=PNG_B64, commission=JPEG_B64
    )
    queue = session.get("/console/queue").text
    card = queue[queue.index(f'id="signature-{sign_id}"') :]
    card = card[: card.index("</article>")]
    images = re.findall(r'<img src="(/console/images/[0-9a-f]{64})" alt="([^"]+)"', card)
    assert [alt for _, alt in images] == ["proof image 1", "commission image 1"]
    proof, commission = (session.get(src) for src, _ in images)
    assert proof.headers["content-type"] == "image/png"
    assert proof.content == base64.b64decode(PNG_B64)
    assert commission.headers["content-type"] == "image/jpeg"
    assert commission.content == base64.b64decode(JPEG_B64)
