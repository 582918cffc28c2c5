"""Secrets at rest: what the database holds, the apikey shown once, master key rotation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from smssign.cli import app
from smssign.store import tables as t
from smssign.store.keyring import MasterKey, MasterKeys, key_context, read_key_file
from smssign.store.repository import async_url
from tests.backoffice import Receiver, wait_until
from tests.conftest import Server, database_url_for, start_server, stop_server
from tests.dialects.tencent_v3.signing import error_code, tc3_post
from tests.webhooks.test_reports import signed_by, yunpian_field


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def smssign(*args: str, env: dict[str, str] | None = None) -> Ran:
    """The command line, run in this process (as a subprocess would, minus the start-up)."""
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def fresh(directory: Path) -> Path:
    directory.mkdir()
    return directory


def credential_rows(database_url: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        engine = create_async_engine(async_url(database_url), poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(select(t.credentials).order_by(t.credentials.c.id))
                ).all()
        finally:
            await engine.dispose()
        return [dict(row._mapping) for row in rows]

    return asyncio.run(read())


def describe_works(server: Server, account: dict[str, Any]) -> bool:
    tencent = account["tencent"]
    reply = tc3_post(
        server.url,
        tencent["secret_id"],
        tencent["secret_key"],
        "DescribeSmsSignList",
        {"International": 0},
    )
    return error_code(reply) is None


def yunpian_code(server: Server, apikey: str) -> int:
    reply = httpx.post(f"{server.url}/v2/sign/get.json", data={"apikey": apikey})
    return int(reply.json()["code"])


def test_the_database_holds_no_secret_in_the_clear(server: Server) -> None:
    account = server.create_account()
    rows = [r for r in credential_rows(server.database_url) if r["account_id"] == account["id"]]
    stored = json.dumps(rows)
    for secret in (
        account["tencent"]["secret_key"],
        account["legacy"]["appkey"],
        account["yunpian"]["apikey"],
    ):
        assert secret not in stored
    by_dialect = {r["dialect"]: r for r in rows}
    apikey_hash = hashlib.sha256(account["yunpian"]["apikey"].encode()).hexdigest()
    assert by_dialect["yunpian"]["key_id"] == f"sha256:{apikey_hash}"
    assert by_dialect["tencent"]["secret"].startswith("sealed:1:")
    assert by_dialect["legacy"]["secret"].startswith("sealed:1:")
    # The apikey signs pushed replies: beside its hash, a sealed copy (and nothing else's).
    assert by_dialect["yunpian"]["sealed_key"].startswith("sealed:1:")
    assert by_dialect["tencent"]["sealed_key"] == by_dialect["legacy"]["sealed_key"] == ""
    # ... and the sealed secrets still verify signatures, the hashed apikey still works.
    assert describe_works(server, account)
    assert yunpian_code(server, account["yunpian"]["apikey"]) == 0
    assert yunpian_code(server, "0" * 32) != 0


def test_the_apikey_is_shown_when_issued_and_never_again(server: Server) -> None:
    account = server.create_account()
    database = ["--database", server.database_url]
    shown = smssign("accounts", "show", str(account["id"]), "--json", *database)
    assert shown.returncode == 0, shown.stderr
    yunpian = json.loads(shown.stdout)["yunpian"]
    assert yunpian["apikey"] is None
    assert (
        yunpian["apikey_sha256"]
        == hashlib.sha256(account["yunpian"]["apikey"].encode()).hexdigest()
    )
    assert json.loads(shown.stdout)["tencent"] == account["tencent"]
    text = smssign("accounts", "show", str(account["id"]), *database)
    assert "shown only when issued" in text.stdout

    rotated = smssign(
        "accounts", "rotate", str(account["id"]), "--dialect", "yunpian", "--json", *database
    )
    assert rotated.returncode == 0, rotated.stderr
    new_apikey = json.loads(rotated.stdout)["yunpian"]["apikey"]
    assert new_apikey and new_apikey != account["yunpian"]["apikey"]
    assert yunpian_code(server, new_apikey) == 0
    assert yunpian_code(server, account["yunpian"]["apikey"]) != 0


def test_rotate_master_with_the_environment_key(tmp_path: Path) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    database_url = database_url_for(tmp_path)
    created = smssign(
        "accounts",
        "create",
        "rotating",
        "--json",
        "--database",
        database_url,
        env={"SMSSIGN_MASTER_KEY": old.text()},
    )
    assert created.returncode == 0, created.stderr
    account = json.loads(created.stdout)

    # The new key without the old one cannot read what is stored: refused, nothing changed.
    lacking = smssign(
        "keys",
        "rotate-master",
        "--database",
        database_url,
        env={"SMSSIGN_MASTER_KEY": new.text(), "SMSSIGN_PREVIOUS_MASTER_KEYS": ""},
    )
    assert lacking.returncode == 1
    assert old.id in lacking.stderr

    rotated = smssign(
        "keys",
        "rotate-master",
        "--json",
        "--database",
        database_url,
        "--previous",
        old.text(),
        env={"SMSSIGN_MASTER_KEY": new.text()},
    )
    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    assert (report["master_key_id"], report["sealed"], report["unreadable_credential_ids"]) == (
        new.id,
        4,  # one account's: Tencent's, the legacy appkey, Alibaba's and the apikey's copy
        [],
    )
    assert all(
        stored == "" or stored.startswith(f"sealed:1:{new.id}:")
        for r in credential_rows(database_url)
        for stored in (r["secret"], r["sealed_key"])
    )
    node = start_server(
        fresh(tmp_path / "node"), database_url=database_url, env={"SMSSIGN_MASTER_KEY": new.text()}
    )
    try:
        assert describe_works(node, account)
    finally:
        stop_server(node)


def test_a_pushed_reply_still_verifies_with_the_apikey_after_rotate_master(
    tmp_path: Path,
) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    database_url = database_url_for(tmp_path)
    at_old = {"SMSSIGN_MASTER_KEY": old.text()}
    created = smssign(
        "accounts", "create", "replied", "--json", "--database", database_url, env=at_old
    )
    assert created.returncode == 0, created.stderr
    account = json.loads(created.stdout)
    replies = Receiver(body=b"SUCCESS").start()
    try:
        urls = ["--status-url", replies.url, "--reply-url", replies.url]
        set_urls = smssign(
            "callbacks", "set", str(account["id"]), "yunpian", *urls,
            "--database", database_url, env=at_old,
        )  # fmt: skip
        assert set_urls.returncode == 0, set_urls.stderr
        rotated = smssign(
            "keys", "rotate-master", "--database", database_url, "--previous", old.text(),
            env={"SMSSIGN_MASTER_KEY": new.text()},
        )  # fmt: skip
        assert rotated.returncode == 0, rotated.stderr
        node = start_server(
            fresh(tmp_path / "node"), "--testing", database_url=database_url,
            env={"SMSSIGN_MASTER_KEY": new.text()},
        )  # fmt: skip
        try:
            answer = httpx.post(
                f"{node.url}/_smssign/replies",
                json={"account_id": account["id"], "mobile": "+8613800138000", "text": "好"},
            )
            assert answer.status_code == 201, answer.text
            (push,) = wait_until(lambda: list(replies.received), 15)
        finally:
            stop_server(node)
    finally:
        replies.stop()
    item = yunpian_field(push, "sms_reply")
    assert signed_by(item, account["yunpian"]["apikey"]) and not signed_by(item, "")


def test_rotate_master_keeps_a_copy_of_a_plaintext_apikey_as_it_hashes_it(
    tmp_path: Path,
) -> None:
    key, later = MasterKey.generate(), MasterKey.generate()
    env = {"SMSSIGN_MASTER_KEY": key.text()}
    database_url = database_url_for(tmp_path)
    created = smssign("accounts", "create", "plain", "--json", "--database", database_url, env=env)
    assert created.returncode == 0, created.stderr
    apikey = json.loads(created.stdout)["yunpian"]["apikey"]
    # A database from before apikeys were hashed holds the apikey itself, and no copy.
    change_credentials(database_url, {"dialect": "yunpian"}, {"key_id": apikey, "sealed_key": ""})
    rotated = smssign(
        "keys", "rotate-master", "--json", "--database", database_url, "--previous", key.text(),
        env={"SMSSIGN_MASTER_KEY": later.text()},
    )  # fmt: skip
    assert rotated.returncode == 0, rotated.stderr
    # (Any start hashes it: here the one of rotate-master, which then finds it hashed.)
    (row,) = [r for r in credential_rows(database_url) if r["dialect"] == "yunpian"]
    assert row["key_id"] == "sha256:" + hashlib.sha256(apikey.encode()).hexdigest()
    assert apikey not in json.dumps(row)
    # ... and its copy, sealed under the new key, is the apikey that signs pushed replies.
    assert row["sealed_key"].startswith(f"sealed:1:{later.id}:")
    assert (
        MasterKeys(later).unseal(row["sealed_key"], key_context("yunpian", row["key_id"])) == apikey
    )


def change_credentials(database_url: str, where: dict[str, Any], values: dict[str, Any]) -> None:
    async def change() -> None:
        engine = create_async_engine(async_url(database_url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                c = t.credentials.c
                await conn.execute(
                    update(t.credentials)
                    .where(*(c[name] == value for name, value in where.items()))
                    .values(**values)
                )
        finally:
            await engine.dispose()

    asyncio.run(change())


def test_a_node_with_the_wrong_master_key_refuses_to_start(tmp_path: Path) -> None:
    right, wrong = MasterKey.generate(), MasterKey.generate()
    database_url = database_url_for(tmp_path)
    created = smssign(
        "accounts",
        "create",
        "keyed",
        "--database",
        database_url,
        env={"SMSSIGN_MASTER_KEY": right.text()},
    )
    assert created.returncode == 0, created.stderr
    with pytest.raises(RuntimeError, match=f"sealed with master key {right.id}"):
        start_server(
            fresh(tmp_path / "node"),
            database_url=database_url,
            env={"SMSSIGN_MASTER_KEY": wrong.text()},
        )


def test_rotate_master_renews_the_sqlite_key_file(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    no_key = {"SMSSIGN_MASTER_KEY": ""}
    created = smssign(
        "accounts", "create", "filed", "--json", "--database", database_url, env=no_key
    )
    assert created.returncode == 0, created.stderr
    account = json.loads(created.stdout)
    key_file = tmp_path / "embedded.db.master-key"
    before = [k.id for k in read_key_file(key_file) or []]

    rotated = smssign("keys", "rotate-master", "--json", "--database", database_url, env=no_key)
    assert rotated.returncode == 0, rotated.stderr
    report = json.loads(rotated.stdout)
    after = [k.id for k in read_key_file(key_file) or []]
    assert len(before) == 1 and after == [report["master_key_id"]] and after != before
    assert report["sealed"] == 4  # one account's three sealed secrets and apikey copy
    assert key_file.stat().st_mode & 0o077 == 0

    node = start_server(fresh(tmp_path / "node"), database_url=database_url, env=no_key)
    try:
        assert describe_works(node, account)
    finally:
        stop_server(node)


def test_postgresql_without_a_master_key_does_not_start() -> None:
    # A real process: serve sets up logging for the whole process it runs in.
    run = subprocess.run(
        [sys.executable, "-m", "smssign", "serve", "--database", "postgresql://u@127.0.0.1:1/db"],
        capture_output=True,
        text=True,
        env={**os.environ, "SMSSIGN_MASTER_KEY": ""},
        timeout=60,
    )
    assert run.returncode == 1
    assert "SMSSIGN_MASTER_KEY is not set" in run.stderr
    assert "Traceback" not in run.stderr
