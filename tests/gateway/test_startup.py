"""A dialect that would skip a guard is refused when the app is created, not per request."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from smssign.app.server import create_app
from smssign.app.settings import Settings
from smssign.dialects import PROTOCOLS
from smssign.dialects.protocol import Guard, ProtocolError
from tests.gateway.toy.protocol import GUARDS, PROTOCOL


def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'smssign.db'}", data_dir=tmp_path)


def test_a_protocol_without_the_policy_guard_fails_at_start_up(tmp_path: Path) -> None:
    careless = replace(PROTOCOL, guards=tuple(g for g in GUARDS if g is not Guard.POLICY))
    with pytest.raises(ProtocolError, match="account-policy guard"):
        create_app(settings(tmp_path), protocols=(careless,))


def test_guards_that_need_the_caller_come_after_authenticate(tmp_path: Path) -> None:
    early = replace(
        PROTOCOL, guards=(Guard.RATE_LIMIT, *(g for g in GUARDS if g is not Guard.RATE_LIMIT))
    )
    with pytest.raises(ProtocolError, match="rate limit before authenticate"):
        create_app(settings(tmp_path), protocols=(early,))


def test_a_declared_check_must_be_in_the_order(tmp_path: Path) -> None:
    unsigned = replace(PROTOCOL, guards=tuple(g for g in GUARDS if g is not Guard.SIGNATURE))
    with pytest.raises(ProtocolError, match="never runs its hook for the signature guard"):
        create_app(settings(tmp_path), protocols=(unsigned,))


def test_two_dialects_may_not_share_a_name(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="two dialects are named"):
        create_app(settings(tmp_path), protocols=(replace(PROTOCOL, name=PROTOCOLS[0].name),))


def test_every_built_in_dialect_declares_the_policy_guard() -> None:
    for protocol in PROTOCOLS:
        assert Guard.POLICY in protocol.guards, protocol.name
        assert Guard.AUTHENTICATE in protocol.guards, protocol.name
