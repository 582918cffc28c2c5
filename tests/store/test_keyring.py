"""The master key: sealing, where the key comes from, and the key file on disk."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from smssign.core.providers import is_key_digest as is_apikey_digest
from smssign.core.providers import key_digest as apikey_digest
from smssign.store.keyring import (
    MasterKey,
    MasterKeyError,
    MasterKeys,
    key_file_for,
    load_master_keys,
    read_key_file,
    sealed_key_id,
    secret_context,
)

CONTEXT = secret_context("tencent", "AKIDexample")


def test_sealed_text_names_its_key_and_hides_the_secret() -> None:
    keys = MasterKeys(MasterKey.generate())
    sealed = keys.seal("a823cc176059b3a1cc413a79b5d28c73", CONTEXT)
    assert "a823cc17" not in sealed
    assert sealed_key_id(sealed) == keys.current.id
    assert keys.unseal(sealed, CONTEXT) == "a823cc176059b3a1cc413a79b5d28c73"
    # A fresh nonce each time: equal secrets do not give equal text.
    assert keys.seal("same", CONTEXT) != keys.seal("same", CONTEXT)


def test_a_sealed_secret_only_opens_on_its_own_credential() -> None:
    keys = MasterKeys(MasterKey.generate())
    sealed = keys.seal("secret", CONTEXT)
    with pytest.raises(MasterKeyError):
        keys.unseal(sealed, secret_context("tencent", "AKIDother"))


def test_tampered_text_does_not_open() -> None:
    keys = MasterKeys(MasterKey.generate())
    sealed = keys.seal("secret", CONTEXT)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(MasterKeyError):
        keys.unseal(flipped, CONTEXT)


def test_previous_keys_open_old_secrets_and_new_ones_use_the_current_key() -> None:
    old = MasterKey.generate()
    new = MasterKey.generate()
    sealed_by_old = MasterKeys(old).seal("secret", CONTEXT)
    rotating = MasterKeys(new, (old,))
    assert rotating.unseal(sealed_by_old, CONTEXT) == "secret"
    assert not rotating.is_current(sealed_by_old)
    assert rotating.is_current(rotating.seal("secret", CONTEXT))
    with pytest.raises(MasterKeyError, match=old.id):
        MasterKeys(new).unseal(sealed_by_old, CONTEXT)


def test_text_written_before_sealing_reads_as_it_is() -> None:
    assert MasterKeys(MasterKey.generate()).unseal("plain-appkey", CONTEXT) == "plain-appkey"


def test_key_text_round_trips_and_bad_keys_are_refused() -> None:
    key = MasterKey.generate()
    assert MasterKey.parse(key.text()).id == key.id
    assert MasterKey.parse(key.text().rstrip("=")).id == key.id
    assert key.text() not in repr(key)
    with pytest.raises(MasterKeyError, match="5 bytes, not 32"):
        MasterKey.parse("c2hvcnQ=")
    with pytest.raises(MasterKeyError, match="base64"):
        MasterKey.parse("not base64 at all!")


def test_apikeys_are_stored_as_sha256() -> None:
    digest = apikey_digest("0123456789abcdef0123456789abcdef")
    assert digest == "sha256:" + (
        "3eb1bd439947eb762998e566ccc2e099c791118b2f40579cc4f7da2b5061b7f9"
    )
    assert is_apikey_digest(digest)
    assert not is_apikey_digest("0123456789abcdef0123456789abcdef")


def test_environment_key_wins_with_previous_keys(tmp_path: Path) -> None:
    current, old = MasterKey.generate(), MasterKey.generate()
    env = {"SMSSIGN_MASTER_KEY": current.text(), "SMSSIGN_PREVIOUS_MASTER_KEYS": old.text()}
    keys = load_master_keys(f"sqlite:///{tmp_path / 'db.sqlite'}", env)
    assert (keys.current.id, [k.id for k in keys.previous]) == (current.id, [old.id])
    assert keys.source == "environment"
    assert not (tmp_path / "db.sqlite.master-key").exists()


def test_postgresql_without_a_master_key_is_refused() -> None:
    with pytest.raises(MasterKeyError, match="SMSSIGN_MASTER_KEY"):
        load_master_keys("postgresql://postgres@127.0.0.1/smssign", {})


def test_sqlite_gets_a_private_key_file_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'smssign.db'}"
    first = load_master_keys(url, {})
    path = tmp_path / "smssign.db.master-key"
    assert key_file_for(url) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Every later process (server, CLI) reads the same key.
    assert load_master_keys(url, {}).current.id == first.current.id
    assert [k.id for k in read_key_file(path) or []] == [first.current.id]


def test_in_memory_sqlite_keeps_its_key_in_memory() -> None:
    assert key_file_for("sqlite://") is None
    assert key_file_for("sqlite:///:memory:") is None
    assert load_master_keys("sqlite://", {}).source == "memory"
