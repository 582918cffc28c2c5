"""The Chinese console approves a template in a real browser (Debian's Chromium driven by
Playwright): the template arrives through the API, an operator whose browser asks for
Chinese approves it from the queue, the account reads the approval back through its own
dialect, and the account's webhook receives `template.approved`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.backoffice import (
    PASSWORD,
    Receiver,
    add_signature,
    add_template,
    create_operator,
    describe_template,
    off_loop,
    set_webhook,
    signed_correctly,
    tencent,
)
from tests.conftest import Server
from tests.console.test_browser import ARTIFACTS, browser

__all__ = ["browser"]


@pytest.fixture
def chinese_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def test_chinese_console_approves_a_template(
    server: Server, chinese_page: Page, receiver: Receiver
) -> None:
    page = chinese_page
    name = "zh-tpl-" + str(os.getpid())
    off_loop(lambda: create_operator(server, name))
    account: dict[str, Any] = off_loop(server.create_account)
    secret = off_loop(lambda: set_webhook(server, account["id"], receiver.url))
    client = tencent(server, account)
    add_signature(client, "模板浏览器")
    template_id = add_template(client, "浏览器验证码", "您的验证码是{1}，请勿泄露。")

    page.goto(f"{server.url}/console/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("概览")
    page.click("header nav >> text=审核队列")
    card = page.locator(f"#template-{template_id}")
    expect(card.locator(".status")).to_have_text("待审核")
    expect(card.locator("dl.facts")).to_contain_text("您的验证码是{1}，请勿泄露。")
    expect(card.locator("dl.facts")).to_contain_text("验证码短信")
    approve = card.locator("button[value=approved]")
    expect(approve).to_have_text("通过")
    approve.click()
    expect(page.locator(".notice")).to_have_text(f"模板 {template_id} 已通过。")
    expect(page.locator(f"#template-{template_id}")).to_have_count(0)
    assert describe_template(client, template_id)["StatusCode"] == 0

    page.click("header nav >> text=模板")
    row = page.locator(
        "table.list tr", has=page.locator(f'a[href="/console/templates/{template_id}"]')
    )
    expect(row.locator(".status")).to_have_text("已通过")
    row.locator("a").first.click()
    expect(page.locator("h1 .status")).to_have_text("已通过")
    expect(page.locator("ol.timeline li.entry-review")).to_contain_text(f"已通过 审核人 {name}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-zh-template.png"), full_page=True)

    (delivered,) = off_loop(lambda: receiver.wait_for("template.approved"))
    body = delivered.json
    assert (body["template"]["id"], body["template"]["status"]) == (template_id, "approved")
    assert (body["account_id"], body["reviewer"]) == (account["id"], name)
    assert signed_correctly(secret, delivered)
    page.reload()
    deliveries = page.locator("ol.timeline li.entry-delivery")
    expect(deliveries.filter(has_text="template.approved")).to_contain_text("已送达")
