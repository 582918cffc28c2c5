"""The review console in a real browser (Debian's Chromium driven by Playwright).

The issue's done-when flow: a signature arrives through tccli, an operator logs in, sees
its proof image, approves one signature and rejects another with a reason; the reason
then shows in DescribeSmsSignList and in a webhook delivered to a local receiver. A
screenshot of the signature page is saved to artifacts/console.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from smssign.core.model import Status
from tests.backoffice import (
    PASSWORD,
    Receiver,
    add_signature,
    create_operator,
    modify_signature,
    off_loop,
    signed_correctly,
    smssign_process,
    tccli,
    tencent,
    wait_until,
)
from tests.conftest import Server
from tests.samples import OTHER_PNG_B64, PNG_B64

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        # Like PostgreSQL and Redis (tests/services.py): skipped locally, a failure in CI.
        message = f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def status_of(server: Server, sign_id: int) -> Status:
    signature = off_loop(lambda: server.run(lambda rt: rt.repository.signature(sign_id)))
    assert signature is not None
    return signature.status


def test_login_review_reject_and_timeline(
    server: Server, receiver: Receiver, page: Page, tmp_path: Path
) -> None:
    # As the README tells a new user: the CLI in its own process.
    smssign_process(server, "operators", "create", "reviewer", "--password-stdin", stdin=PASSWORD)
    account: dict[str, Any] = off_loop(server.create_account)
    smssign_process(
        server, "webhooks", "set", str(account["id"]), receiver.url, "--secret", "hook-secret"
    )

    # One signature from tccli, exactly as a developer would send it...
    added = tccli(
        server, account, tmp_path, "AddSmsSign", "--SignName", "浏览器签名", "--SignType", "0",
        "--DocumentType", "1", "--International", "0", "--SignPurpose", "0",
        "--ProofImage", PNG_B64,
    )  # fmt: skip
    rejected_id = added["AddSignStatus"]["SignId"]
    # ...and one that was modified after submission, so the queue shows a diff.
    client = tencent(server, account)
    modified_id = add_signature(client, "修改前签名")
    modify_signature(client, modified_id, "修改后签名", proof=OTHER_PNG_B64, remark="新证明")

    page.goto(f"{server.url}/console/queue")
    expect(page).to_have_url(f"{server.url}/console/login?next=%2Fconsole%2Fqueue")
    page.fill("#name", "reviewer")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("wrong name or password")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/console/queue")

    # Oldest first, with the proof image really displayed.
    cards = page.locator("article.application")
    expect(cards.nth(0)).to_have_id(f"signature-{rejected_id}")
    expect(cards.nth(1)).to_have_id(f"signature-{modified_id}")
    proof = page.locator(f"#signature-{rejected_id} img.proof").first
    expect(proof).to_be_visible()
    assert proof.evaluate("img => img.complete && img.naturalWidth") == 8

    diff = page.locator(f"#signature-{modified_id} table.diff")
    expect(diff.locator("tr.changed th", has_text="Name")).to_be_visible()
    expect(diff.locator("tr.changed th", has_text="Proof images")).to_be_visible()
    expect(diff.locator("tr.changed", has_text="Name")).to_contain_text("修改前签名")
    expect(diff.locator("tr.changed", has_text="Name")).to_contain_text("修改后签名")
    expect(diff.locator("tr.same th", has_text="Scope")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-queue.png"), full_page=True)

    page.click(f"#signature-{modified_id} button[value=approved]")
    expect(page.locator(".notice")).to_have_text(f"Signature {modified_id} approved.")
    assert status_of(server, modified_id) is Status.APPROVED

    # The browser refuses to reject without a reason; nothing is sent.
    page.click(f"#signature-{rejected_id} button[value=rejected]")
    assert status_of(server, rejected_id) is Status.PENDING
    reason = "证明文件模糊，请重新上传营业执照"
    page.fill(f"#reason-{rejected_id}", reason)
    page.click(f"#signature-{rejected_id} button[value=rejected]")
    expect(page.locator(".notice")).to_have_text(f"Signature {rejected_id} rejected.")
    expect(page.locator("article.application")).to_have_count(0)

    # The timeline: submission, the rejection with its reason, the webhook delivery.
    receiver.wait_for("signature.rejected", rejected_id)
    page.goto(f"{server.url}/console/signatures/{rejected_id}")
    expect(page.locator(".review-reply")).to_have_text(reason)
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li.entry-application")).to_contain_text("Submitted")
    expect(timeline.locator("li.entry-review")).to_contain_text("Rejected by reviewer")
    expect(timeline.locator("li.entry-review")).to_contain_text(reason)
    wait_until(lambda: _delivered_on_page(page, 2), timeout=10, step=0.3)
    expect(timeline.locator("li.entry-delivery", has_text="signature.rejected")).to_contain_text(
        "delivered"
    )
    page.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)

    # The applicant sees the reason through the API...
    described = tccli(
        server, account, tmp_path, "DescribeSmsSignList", "--SignIdSet", f"[{rejected_id}]",
        "--International", "0",
    )  # fmt: skip
    (entry,) = described["DescribeSignListStatusSet"]
    assert entry["StatusCode"] == -1
    assert entry["ReviewReply"] == reason

    # ...and their webhook receiver got it, signed with their secret.
    (delivered,) = receiver.events("signature.rejected", rejected_id)
    assert signed_correctly("hook-secret", delivered)
    body = delivered.json
    assert body["account_id"] == account["id"]
    assert body["signature"]["review_reply"] == reason
    assert body["signature"]["status"] == "rejected"
    assert body["reason"] == reason and body["reviewer"] == "reviewer"

    # Logging out ends the session.
    page.click("header .logout button")
    expect(page).to_have_url(f"{server.url}/console/login")
    page.goto(f"{server.url}/console/queue")
    expect(page).to_have_url(f"{server.url}/console/login?next=%2Fconsole%2Fqueue")


def _delivered_on_page(page: Page, count: int) -> bool:
    page.reload()
    return page.locator("li.entry-delivery", has_text="delivered").count() >= count


def test_accounts_page_creates_an_account_and_shows_secrets_once(
    server: Server, page: Page
) -> None:
    off_loop(lambda: create_operator(server, "admin-" + str(os.getpid())))
    page.goto(f"{server.url}/console/login")
    page.fill("#name", "admin-" + str(os.getpid()))
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{server.url}/console/accounts")
    page.fill("input[name=name]", "浏览器客户")
    page.click("form.row button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Account created: 浏览器客户")
    secret = page.locator("tr", has_text="tencent").locator("code.secret-value").inner_text()
    assert len(secret) == 32
    page.click("text=Go to the account")
    expect(page.locator("h1")).to_contain_text("浏览器客户")
    assert secret not in page.content()


def test_chinese_console_approves_a_signature(server: Server, page: Page) -> None:
    name = "zh-" + str(os.getpid())
    off_loop(lambda: create_operator(server, name))
    account: dict[str, Any] = off_loop(server.create_account)
    sign_id = add_signature(tencent(server, account), "中文审核签名")

    page.goto(f"{server.url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/console/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # The switch at the foot of the page; the choice stays for the next pages.
    page.click("footer.language button[value=zh]")
    expect(page).to_have_url(f"{server.url}/console/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("概览")
    page.click("header nav >> text=审核队列")
    expect(page).to_have_url(f"{server.url}/console/queue")
    expect(page.locator("h1")).to_have_text("审核队列")
    card = page.locator(f"#signature-{sign_id}")
    expect(card.locator(".status")).to_have_text("待审核")
    expect(card.locator("dl.facts")).to_contain_text("企业营业执照")
    approve = card.locator("button[value=approved]")
    expect(approve).to_have_text("通过")
    approve.click()
    expect(page.locator(".notice")).to_have_text(f"签名 {sign_id} 已通过。")
    assert status_of(server, sign_id) is Status.APPROVED

    page.goto(f"{server.url}/console/signatures/{sign_id}")
    expect(page.locator("h1 .status")).to_have_text("已通过")
    review = page.locator("ol.timeline li.entry-review")
    expect(review).to_contain_text(f"已通过 审核人 {name}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-zh.png"), full_page=True)

    # And back to English with the same switch.
    page.click("footer.language button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(review).to_contain_text(f"Approved by {name}")
