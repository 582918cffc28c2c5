"""Test helpers for the back office: the CLI as a user runs it, a Tencent SDK client,
console logins over HTTP, and a local webhook receiver that records what it is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client
from typer.testing import CliRunner

from smssign.cli import app
from tests.conftest import Server
from tests.samples import PNG_B64

PASSWORD = "correct horse battery"
T = TypeVar("T")


def smssign(server: Server, *args: str, stdin: str | None = None, check: bool = True) -> CliOutcome:
    """`smssign ARGS --database <the server's>`, run in-process (a new interpreter costs
    a second or more per call; `smssign_process` is the real thing)."""
    result = CliRunner().invoke(app, [*args, "--database", server.database_url], input=stdin)
    outcome = CliOutcome(result.exit_code, result.stdout, result.stderr)
    if check:
        assert outcome.returncode == 0, outcome.stdout + outcome.stderr + repr(result.exception)
    return outcome


def smssign_process(
    server: Server, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m smssign ARGS --database <the server's>`, exactly as an operator types it."""
    result = subprocess.run(
        [sys.executable, "-m", "smssign", *args, "--database", server.database_url],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass(frozen=True)
class CliOutcome:
    returncode: int
    stdout: str
    stderr: str


def create_operator(server: Server, name: str, password: str = PASSWORD) -> None:
    smssign(server, "operators", "create", name, "--password-stdin", stdin=password + "\n")


def operator_token(server: Server, name: str) -> str:
    """The bearer token `smssign operators token` prints alone on its last line."""
    return smssign(server, "operators", "token", name).stdout.strip().splitlines()[-1]


def set_webhook(server: Server, account_id: int, url: str, secret: str | None = None) -> str:
    """What `smssign webhooks set` does, in-process (the CLI costs a second per call);
    returns the secret."""

    async def set_it(runtime: Any) -> str:
        from smssign.backoffice.services import open_backoffice

        async with open_backoffice(runtime) as backoffice:
            return (await backoffice.webhooks.set(account_id, url, secret=secret)).secret

    return server.run(set_it)


# --- the Tencent API, through the official SDK -----------------------------------------


def tencent(server: Server, account: dict[str, Any]) -> sms_client.SmsClient:
    cred = credential.Credential(account["tencent"]["secret_id"], account["tencent"]["secret_key"])
    profile = ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=f"127.0.0.1:{server.port}")
    )
    return sms_client.SmsClient(cred, "ap-guangzhou", profile)


def add_signature(
    client: sms_client.SmsClient,
    name: str,
    *,
    proof: str = PNG_B64,
    international: int = 0,
    commission: str | None = None,
) -> int:
    fields: dict[str, Any] = {
        "SignName": name,
        "SignType": 0,
        "DocumentType": 1,
        "International": international,
        "SignPurpose": 0,
        "ProofImage": proof,
    }
    if commission is not None:
        fields.update(SignPurpose=1, CommissionImage=commission)
    request = models.AddSmsSignRequest()
    request.from_json_string(json.dumps(fields))
    return int(client.AddSmsSign(request).AddSignStatus.SignId)


def modify_signature(
    client: sms_client.SmsClient, sign_id: int, name: str, *, proof: str, remark: str = ""
) -> None:
    request = models.ModifySmsSignRequest()
    request.from_json_string(
        json.dumps(
            {
                "SignId": sign_id,
                "SignName": name,
                "SignType": 0,
                "DocumentType": 0,
                "International": 0,
                "SignPurpose": 0,
                "ProofImage": proof,
                "Remark": remark,
            }
        )
    )
    client.ModifySmsSign(request)


def describe(
    client: sms_client.SmsClient, sign_id: int, *, international: int = 0
) -> dict[str, Any]:
    request = models.DescribeSmsSignListRequest()
    request.from_json_string(json.dumps({"SignIdSet": [sign_id], "International": international}))
    reply = json.loads(client.DescribeSmsSignList(request).to_json_string())
    (entry,) = reply["DescribeSignListStatusSet"]
    return dict(entry)


def delete_signature(client: sms_client.SmsClient, sign_id: int) -> None:
    request = models.DeleteSmsSignRequest()
    request.from_json_string(json.dumps({"SignId": sign_id}))
    client.DeleteSmsSign(request)


def add_template(
    client: sms_client.SmsClient,
    name: str,
    content: str = "您的验证码是{1}，5分钟内有效。",
    *,
    sms_type: int = 3,
    remark: str = "",
) -> int:
    """AddSmsTemplate through the SDK (the account must have applied for a signature)."""
    request = models.AddSmsTemplateRequest()
    request.from_json_string(
        json.dumps(
            {
                "TemplateName": name,
                "TemplateContent": content,
                "SmsType": sms_type,
                "International": 0,
                "Remark": remark,
            }
        )
    )
    return int(client.AddSmsTemplate(request).AddTemplateStatus.TemplateId)


def describe_template(client: sms_client.SmsClient, template_id: int) -> dict[str, Any]:
    request = models.DescribeSmsTemplateListRequest()
    request.from_json_string(json.dumps({"TemplateIdSet": [template_id], "International": 0}))
    reply = json.loads(client.DescribeSmsTemplateList(request).to_json_string())
    (entry,) = reply["DescribeTemplateStatusSet"]
    return dict(entry)


def delete_template(client: sms_client.SmsClient, template_id: int) -> None:
    request = models.DeleteSmsTemplateRequest()
    request.from_json_string(json.dumps({"TemplateId": template_id}))
    client.DeleteSmsTemplate(request)


# --- the console over plain HTTP -------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def login(server: Server, name: str, password: str = PASSWORD) -> httpx.Client:
    """An HTTP client holding a console session, logged in through the form."""
    client = httpx.Client(base_url=server.url, follow_redirects=False)
    page = client.get("/console/login")
    reply = client.post(
        "/console/login", data={"csrf": csrf_of(page.text), "name": name, "password": password}
    )
    assert reply.status_code == 303, reply.text
    return client


def off_loop(action: Callable[[], T]) -> T:
    """Run `action` on a fresh thread: Playwright's sync API keeps an event loop running on
    this one, where the conftest's asyncio.run() helpers cannot start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(action).result()


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(step)


# --- a webhook receiver -----------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


def signed_correctly(secret: str, received: Received) -> bool:
    """The receiver's side of X-Smssign-Signature, computed here from the documented rule."""
    timestamp = received.headers["x-smssign-timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(received.headers["x-smssign-signature"], f"sha256={expected}")


@dataclass
class Receiver:
    """A local HTTP server that records every POST; `statuses` answers them in turn,
    and `bodies` (then `body`) are the answers' bodies ("ok" / "not now" without)."""

    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    bodies: list[bytes] = field(default_factory=list)
    body: bytes | None = None
    delay: float = 0.0
    """Seconds to wait before answering, after recording the request."""
    plan: Callable[[Received], tuple[int, float] | None] | None = None
    """Status and delay for one request, overriding the above when it returns something."""
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                received = Received(
                    {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                with receiver._lock:
                    receiver.received.append(received)
                    status = (
                        receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    )
                    delay = receiver.delay
                    answer = receiver.bodies.pop(0) if receiver.bodies else receiver.body
                    planned = receiver.plan(received) if receiver.plan else None
                    if planned is not None:
                        status, delay = planned
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                if answer is None:
                    answer = b"ok" if status < 300 else b"not now"
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A sender that hung up mid-answer (a stopped server) is part of the tests.
                pass

        self._server = Quiet(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def events(self, type: str | None = None, signature_id: int | None = None) -> list[Received]:
        with self._lock:
            found = list(self.received)
        return [
            r
            for r in found
            if (type is None or r.json["type"] == type)
            and (signature_id is None or (r.json.get("signature") or {}).get("id") == signature_id)
        ]

    def wait_for(
        self, type: str, signature_id: int | None = None, *, count: int = 1, timeout: float = 10
    ) -> list[Received]:
        return list(
            wait_until(
                lambda: (
                    (found := self.events(type, signature_id)) and len(found) >= count and found
                ),
                timeout,
            )
        )


def running_receiver(**kwargs: Any) -> Iterator[Receiver]:
    receiver = Receiver(**kwargs).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def tccli(server: Server, account: dict[str, Any], home: Path, action: str, *args: str) -> Any:
    """tccli as a user runs it against the server; returns its JSON reply."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "TENCENTCLOUD_SECRET_ID": account["tencent"]["secret_id"],
        "TENCENTCLOUD_SECRET_KEY": account["tencent"]["secret_key"],
    }
    command = [
        str(bin_dir / "tccli"), "sms", action, "--endpoint", server.url,
        "--version", "2021-01-11", "--region", "ap-guangzhou", *args,
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)
