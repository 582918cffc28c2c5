"""Registering a provider that lives in the test tree, with no change under src/.

The toy provider (tests/gateway/toy/) declares a signed credential and a bearer key. With
it registered beside the real ones, accounts get its credentials, `accounts create --json`
shows them, the admin API and the console list and rotate them, seed files take them, and
its default rate limit is in force.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from smssign.app import seed
from smssign.app.runtime import Runtime, open_runtime
from smssign.app.server import create_app
from smssign.app.settings import BackofficeSettings, Settings
from smssign.backoffice.accounts import issued_json
from smssign.backoffice.services import Backoffice
from smssign.blobs.filesystem import MemoryBlobs
from smssign.core.providers import Providers
from smssign.dialects import PROVIDERS
from smssign.store.testing import dump
from smssign.testing.asgi import Lifespan
from tests.gateway.toy.provider import PROVIDER as TOY

REGISTRY = Providers((*PROVIDERS, TOY))
PASSWORD = "correct horse battery"


def settings_for(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'toy.db'}",
        data_dir=tmp_path,
        backoffice=BackofficeSettings(workers=False),
    )


def test_issuing_rotating_and_authenticating_the_extra_kinds(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with open_runtime(
            settings_for(tmp_path), blobs=MemoryBlobs(), providers=REGISTRY
        ) as rt:
            issued = await rt.accounts.create("acme")
            shown = issued_json(issued, rt.providers)
            # The real kinds first, unchanged, then the toy's, in registry order.
            assert list(shown) == [
                "id",
                "name",
                "certification",
                "tencent",
                "legacy",
                "yunpian",
                "aliyun",
                "toy",
                "toybearer",
            ]
            assert set(shown["toy"]) == {"token_id", "token_secret"}
            assert (
                shown["toy"]["token_id"].startswith("TOY") and len(shown["toy"]["token_id"]) == 35
            )
            bearer = shown["toybearer"]["bearer"]
            assert len(bearer) == 32

            found = await rt.repository.authenticate("toybearer", bearer)
            assert found is not None and found[1].id == issued.account.id
            # Hashed at rest, as the toy declares: shown once, then only its SHA-256.
            again = issued_json(await rt.accounts.issued(issued.account.id), rt.providers)
            assert again["toybearer"]["bearer"] is None
            assert len(again["toybearer"]["bearer_sha256"]) == 64
            assert again["toy"] == shown["toy"]

            old = issued.credentials["toy"]
            new = await rt.accounts.rotate(issued.account.id, "toy")
            assert new.key_id != old.key_id and new.secret
            assert await rt.repository.authenticate("toy", old.key_id) is None
            found = await rt.repository.authenticate("toy", new.key_id)
            assert found is not None and found[0].secret == new.secret

            state = await dump(rt.repository.engine, rt.providers.kinds)
            [account] = state["accounts"]
            assert account["credentials"]["toy"] == {"token_id": new.key_id}
            assert account["credentials"]["toybearer"] == {}

            assert "toy:Ping" in rt.providers.rate_limits()
            assert all([await rt.rate_limits.allow("toy:Ping", 1) for _ in range(3)])
            assert not await rt.rate_limits.allow("toy:Ping", 1)

    asyncio.run(scenario())


def test_seed_files_take_the_extra_kinds(tmp_path: Path) -> None:
    data = {
        "accounts": [
            {
                "name": "seeded",
                "toy": {"token_id": "TOYfixed", "token_secret": "s"},
                "toybearer": {"bearer": "fixed-bearer"},
            }
        ]
    }
    with pytest.raises(seed.SeedError, match="unknown key"):
        seed.parse(data)  # the registered providers alone do not know the toy
    parsed = seed.parse(data, providers=REGISTRY)
    assert parsed.accounts[0].credentials == {
        "toy": ("TOYfixed", "s"),
        "toybearer": ("fixed-bearer", ""),
    }

    async def scenario() -> dict[str, Any]:
        async with open_runtime(
            settings_for(tmp_path), blobs=MemoryBlobs(), providers=REGISTRY
        ) as rt:
            made = await seed.apply(rt, parsed)
            assert await rt.repository.authenticate("toybearer", "fixed-bearer") is not None
            return made

    made = asyncio.run(scenario())
    assert made["accounts"][0]["toy"] == {"token_id": "TOYfixed", "token_secret": "s"}


def test_the_admin_api_and_the_console_list_and_rotate_the_extra_kinds(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)

    def runtime() -> AbstractAsyncContextManager[Runtime]:
        return open_runtime(settings, blobs=MemoryBlobs(), providers=REGISTRY)

    app = create_app(settings, runtime_factory=runtime)

    async def scenario() -> None:
        lifespan = Lifespan(app)
        await lifespan.startup()
        try:
            backoffice: Backoffice = app.state.backoffice
            await backoffice.operators.create("toy-admin", PASSWORD)
            token = await backoffice.operators.issue_token("toy-admin", "test")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {token}"},
            ) as api:
                await admin_api(api)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
                await console(web)
        finally:
            await lifespan.shutdown()

    asyncio.run(scenario())


async def admin_api(api: httpx.AsyncClient) -> None:
    created = await api.post("/admin/api/accounts", json={"name": "api-acme"})
    assert created.status_code == 201, created.text
    issued = created.json()
    assert set(issued["toy"]) == {"token_id", "token_secret"}
    assert set(issued["toybearer"]) == {"bearer"}

    account = (await api.get(f"/admin/api/accounts/{issued['id']}")).json()
    by_kind = {c["dialect"]: c for c in account["credentials"]}
    assert by_kind["toy"]["key_id"] == issued["toy"]["token_id"]
    assert by_kind["toybearer"]["key_id"] is None  # the bearer key is the secret

    rotated = await api.post(f"/admin/api/accounts/{issued['id']}/credentials/toybearer/rotate")
    assert rotated.status_code == 201 and rotated.json()["key_id"]
    wrong = await api.post(f"/admin/api/accounts/{issued['id']}/credentials/nope/rotate")
    assert wrong.status_code == 404
    assert "tencent, legacy, yunpian, aliyun, toy or toybearer" in wrong.text

    document = (await api.get("/admin/api/openapi.json")).json()
    schemas = document["components"]["schemas"]
    enum = schemas["Credential"]["properties"]["dialect"]["enum"]
    assert enum == ["tencent", "legacy", "yunpian", "aliyun", "toy", "toybearer"]
    assert "toybearer" in schemas["Issued"]["properties"]


async def console(web: httpx.AsyncClient) -> None:
    login = await web.get("/console/login")
    reply = await web.post(
        "/console/login",
        data={"csrf": csrf_of(login.text), "name": "toy-admin", "password": PASSWORD},
    )
    assert reply.status_code == 303, reply.text
    listing = (await web.get("/console/accounts")).text
    created = await web.post(
        "/console/accounts", data={"csrf": csrf_of(listing), "name": "console-acme"}
    )
    assert created.status_code == 200, created.text
    hint = (
        "yunpian: apikey · aliyun: AccessKeyId / AccessKeySecret · toy: TokenId / TokenSecret"
        " · toybearer: Bearer"
    )
    assert hint in created.text
    assert "<td>toy</td>" in created.text and "<td>toybearer</td>" in created.text

    page = (await web.get("/console/accounts/2")).text
    assert "console-acme" in page
    assert "<td>toy</td>" in page and "<td>toybearer</td>" in page
    assert "Bearer shown once" in page

    rotated = await web.post(
        "/console/accounts/2/rotate", data={"csrf": csrf_of(page), "dialect": "toybearer"}
    )
    assert rotated.status_code == 200, rotated.text
    assert "New credential" in rotated.text and "<td>toybearer</td>" in rotated.text


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def test_a_format_signed_with_a_key_needs_that_kind_to_keep_a_sealed_copy() -> None:
    from dataclasses import replace

    from smssign.core.providers import AtRest
    from smssign.dialects.yunpian.provider import PROVIDER as YUNPIAN

    (apikey,) = YUNPIAN.credentials
    assert YUNPIAN.reports is not None and YUNPIAN.reports.signed_with == apikey.name
    forgetful = replace(YUNPIAN, credentials=(replace(apikey, sealed_copy=False),))
    with pytest.raises(ValueError, match="sealed copy"):
        Providers((forgetful,))
    with pytest.raises(ValueError, match="only a hashed key"):
        replace(apikey, at_rest=AtRest.SEALED, secret_field="secret")
