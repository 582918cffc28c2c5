"""What the `/_smssign/` routes and the testing kit do behind the API.

Create accounts, review, dump the state, reset: use cases of a test setup, run on a
Runtime. The routes call them over HTTP; `smssign.testing.Operations` calls them from
test code.
"""

from __future__ import annotations

import shutil
from typing import Any

from smssign.app import seed as seeds
from smssign.app.runtime import Runtime
from smssign.blobs.filesystem import FilesystemBlobs, MemoryBlobs
from smssign.core.model import Status
from smssign.store import testing as store

REVIEWER = "test"
"""The reviewer name test-made reviews carry (timeline, webhooks)."""


async def create_account(
    runtime: Runtime, name: str, *, individual: bool = False
) -> dict[str, Any]:
    """The same dict `smssign accounts create --json` prints."""
    from smssign.backoffice.accounts import issued_json

    issued = await runtime.accounts.create(name, individual=individual)
    return issued_json(issued, runtime.providers)


async def review(runtime: Runtime, sign_id: int, decision: Status, reason: str = "") -> None:
    await runtime.signatures.review(sign_id, decision, reason=reason, reviewer=REVIEWER)


async def review_template(
    runtime: Runtime, template_id: int, decision: Status, reason: str = ""
) -> None:
    await runtime.templates.review(template_id, decision, reason=reason, reviewer=REVIEWER)


async def state(runtime: Runtime) -> dict[str, list[dict[str, Any]]]:
    return await store.dump(runtime.repository.engine, runtime.providers.kinds)


async def reset(runtime: Runtime, seed: seeds.Seed | None = None) -> dict[str, Any]:
    """Erase every account, signature, application, review, event and proof image, forget
    rate-limit counts, then apply `seed` (if any) again."""
    await store.erase(runtime.repository.engine)
    blobs = runtime.blobs
    if isinstance(blobs, FilesystemBlobs):
        shutil.rmtree(blobs.root, ignore_errors=True)
    elif isinstance(blobs, MemoryBlobs):
        blobs.clear()
    await runtime.rate_limits.reset()
    if seed is None:
        return {"accounts": [], "kept": []}
    return await seeds.apply(runtime, seed)
