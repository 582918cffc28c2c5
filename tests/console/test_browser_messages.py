"""The Chinese console finds a failed message in a real browser (Debian's Chromium driven
by Playwright): an application sends a verification code through tencentcloud-sdk-python
to a number that always fails, and an operator whose browser asks for Chinese counts it on
the dashboard, searches for it under 短信 and reads its receipt code and events."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.backoffice import PASSWORD, create_operator, off_loop, tencent
from tests.clients.test_tencent_sdk_sending import prepare
from tests.conftest import Server
from tests.console.test_browser import ARTIFACTS, browser
from tests.console.test_messages import FAILING, send

__all__ = ["browser"]


@pytest.fixture
def chinese_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_chinese_console_finds_a_failed_message(server: Server, chinese_page: Page) -> None:
    page = chinese_page
    name = "zh-msg-" + str(os.getpid())
    off_loop(lambda: create_operator(server, name))
    account: dict[str, Any] = off_loop(server.create_account)
    template_id = off_loop(lambda: prepare(server, account))
    client = tencent(server, account)
    (serial,) = off_loop(lambda: send(client, account, template_id, FAILING, code="975310"))

    page.goto(f"{server.url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("概览")
    expect(page.locator(".message-counts h2")).to_have_text("今日短信")
    expect(page.locator(".today-failed")).not_to_have_text("0")

    page.click("header nav >> text=短信")
    expect(page.locator("h1")).to_have_text("短信")
    page.fill("input[name=mobile]", FAILING.removeprefix("+86"))
    page.fill("input[name=q]", "975310")
    page.select_option("select[name=status]", "failed")
    page.click("form.filters button[type=submit]")
    row = page.locator("table.messages tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("发送失败")
    expect(row).to_contain_text("UNDELIV")
    row.locator("td.content a").click()

    facts = page.locator("dl.message-facts")
    expect(page.locator("p.handset")).to_have_text("【腾讯云】您的验证码是975310，5分钟内有效。")
    expect(facts).to_contain_text(FAILING)
    expect(facts).to_contain_text("UNDELIV")
    expect(facts).to_contain_text(serial)
    expect(page.locator("ol.timeline")).to_contain_text("message.failed")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-zh-message.png"), full_page=True)
