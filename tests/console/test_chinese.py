"""The Chinese console over plain HTTP: chosen by Accept-Language, or by the switch in the page.

An operator whose browser asks for Chinese gets every page in Chinese, with `<html lang>`
saying so; the switch at the foot of each page overrides the browser and is remembered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.backoffice import PASSWORD, add_signature, create_operator, csrf_of, login, tencent
from tests.conftest import Server

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture(scope="module")
def operator(server: Server) -> str:
    create_operator(server, "lin")
    return "lin"


@pytest.fixture
def session(server: Server, operator: str) -> Iterator[httpx.Client]:
    client = login(server, operator)
    yield client
    client.close()


@pytest.fixture
def pending(server: Server, account: dict[str, Any]) -> int:
    return add_signature(tencent(server, account), f"中文控制台{account['id']}")


def visible(html: str) -> str:
    """The page's text as a reader sees it, without tags, attributes or the CSRF tokens."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_chinese(html: str, *expected: str, absent: tuple[str, ...] = ()) -> None:
    assert '<html lang="zh-CN">' in html
    text = visible(html)
    for phrase in expected:
        assert phrase in text, phrase
    for english in ("Dashboard", "Review queue", "Log out", *absent):
        assert english not in text, english


def test_login_page_follows_accept_language(server: Server) -> None:
    with httpx.Client(base_url=server.url) as browser:
        english = browser.get("/console/login", headers=EN)
        chinese = browser.get("/console/login", headers=ZH)
        neither = browser.get("/console/login", headers={"Accept-Language": "fr-FR,de;q=0.5"})
        preferred = browser.get("/console/login", headers={"Accept-Language": "en;q=0.4,zh-TW"})
    assert '<html lang="en">' in english.text and "Operator name" in english.text
    assert_chinese(chinese.text, "登录", "操作员名称", "密码", absent=("Operator name", "Password"))
    assert '<html lang="en">' in neither.text
    assert '<html lang="zh-CN">' in preferred.text


def test_a_failed_login_says_so_in_chinese(server: Server, operator: str) -> None:
    with httpx.Client(base_url=server.url, headers=ZH) as browser:
        form = browser.get("/console/login")
        reply = browser.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "name": operator, "password": "not it at all"},
        )
    assert reply.status_code == 401
    assert_chinese(reply.text, "名称或密码错误", absent=("wrong name or password",))


def test_every_page_in_chinese(
    server: Server, session: httpx.Client, account: dict[str, Any], pending: int
) -> None:
    session.headers.update(ZH)
    pages = {
        "/console/": (
            "概览",
            "审核队列",
            "待审核",
            "打开审核队列",
            "Webhook 投递",
            "退出登录",
            "待投递",
        ),
        "/console/queue": ("待审核的申请", "通过", "开始运营商报备", "拒绝原因", "证明材料"),
        "/console/signatures": ("名称包含", "筛选", "审核回复", "中国大陆"),
        f"/console/signatures/{pending}": (
            "时间线",
            "签名类型",
            "企业营业执照",
            "提交于",
            "已提交",
        ),
        "/console/accounts": ("创建账号", "认证类型", "企业", "IP 白名单"),
        f"/console/accounts/{account['id']}": ("策略", "保存策略", "凭证", "轮换", "最近的签名"),
        "/console/deliveries": ("事件", "尝试次数", "没有投递。"),
    }
    english = ("Approve", "Signatures", "Accounts", "Filter", "Timeline", "Save policy", "Proof")
    for path, phrases in pages.items():
        reply = session.get(path)
        assert reply.status_code == 200, path
        assert_chinese(reply.text, *phrases, absent=english)


def test_review_notice_and_errors_in_chinese(
    server: Server, session: httpx.Client, pending: int
) -> None:
    session.headers.update(ZH)
    page = session.get(f"/console/signatures/{pending}")
    done = session.post(
        f"/console/signatures/{pending}/review",
        data={"csrf": csrf_of(page.text), "decision": "approved"},
        follow_redirects=True,
    )
    assert_chinese(done.text, f"签名 {pending} 已通过。", "已通过", absent=("approved.",))

    missing = session.get("/console/signatures/999999999")
    assert missing.status_code == 404
    assert_chinese(missing.text, "未找到", "这里没有内容，或已被删除。", "返回概览")
    bad = session.get("/console/signatures?page=zero")
    assert bad.status_code == 400
    assert_chinese(bad.text, "操作未成功", "页码必须是从 1 开始的数字。")
    again = session.post(
        f"/console/signatures/{pending}/review",
        data={"csrf": csrf_of(page.text), "decision": "rejected", "reason": "晚了"},
    )
    assert again.status_code == 409
    assert_chinese(again.text, "该签名现在是已通过状态，不能变为已拒绝")


def test_the_switch_overrides_the_browser_and_is_remembered(
    server: Server, session: httpx.Client
) -> None:
    session.headers.update(EN)
    queue = session.get("/console/queue")
    assert '<html lang="en">' in queue.text
    assert 'name="lang" value="zh"' in queue.text
    switched = session.post(
        "/console/language",
        data={"csrf": csrf_of(queue.text), "lang": "zh", "next": "/console/queue"},
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/queue"
    cookie = switched.headers["set-cookie"]
    assert "smssign_lang=zh" in cookie and "Path=/console" in cookie and "HttpOnly" in cookie
    # Still an English browser, but the operator chose Chinese: every page stays Chinese.
    assert_chinese(session.get("/console/queue").text, "审核队列")
    assert_chinese(session.get("/console/accounts").text, "创建账号")
    back = session.post(
        "/console/language",
        data={"csrf": csrf_of(queue.text), "lang": "en", "next": "/console/"},
    )
    assert back.status_code == 303
    assert '<html lang="en">' in session.get("/console/").text


def test_the_switch_works_before_login_and_refuses_forgeries(server: Server) -> None:
    with httpx.Client(base_url=server.url, headers=EN) as browser:
        form = browser.get("/console/login")
        switched = browser.post(
            "/console/language",
            data={"csrf": csrf_of(form.text), "lang": "zh", "next": "/console/login"},
        )
        assert switched.status_code == 303
        assert_chinese(browser.get("/console/login").text, "操作员名称")
        # Another site cannot switch it: no CSRF token, no change.
        browser.cookies.delete("smssign_lang")
        forged = browser.post("/console/language", data={"lang": "zh", "next": "/console/"})
        assert forged.status_code == 403
        assert "smssign_lang" not in forged.headers.get("set-cookie", "")
        # Nor send the operator elsewhere, nor set a language the console does not have.
        form = browser.get("/console/login")
        away = browser.post(
            "/console/language",
            data={"csrf": csrf_of(form.text), "lang": "en", "next": "https://evil.example/"},
        )
        assert away.headers["location"] == "/console/"
        odd = browser.post(
            "/console/language", data={"csrf": csrf_of(form.text), "lang": "fr", "next": ""}
        )
        assert odd.status_code == 400
        assert "smssign_lang" not in odd.headers.get("set-cookie", "")


def test_a_chinese_login_lands_in_chinese(server: Server, operator: str) -> None:
    with httpx.Client(base_url=server.url, headers=ZH, follow_redirects=True) as browser:
        form = browser.get("/console/login")
        reply = browser.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "name": operator, "password": PASSWORD},
        )
    assert_chinese(reply.text, "概览", "退出登录")
