"""Secrets at rest: credential secrets sealed under a master key, bearer keys kept as hashes.

Each dialect declares how its credential kind is kept (core/providers.py). Secrets that
must be read back to verify request signatures are encrypted with AES-256-GCM under the
master key. The stored text names the key
that sealed it (`sealed:1:<key id>:<base64>`), so `smssign keys rotate-master` can tell
old from new, and the credential's dialect and key id are bound in as associated data, so
a sealed secret copied onto another row does not open. Bearer keys, compared as
presented, are stored as their SHA-256 only (core/providers.py `key_digest`); a kind whose
provider also signs pushes with the key keeps a sealed copy of it beside the hash
(`sealed_key`, under its own associated data), opened only when such a push is written.

Where the master key comes from:
- `SMSSIGN_MASTER_KEY` (base64 of 32 bytes, `smssign keys generate` prints one), with
  `SMSSIGN_PREVIOUS_MASTER_KEYS` (comma-separated) still accepted for reading while a
  rotation is under way;
- otherwise, for a SQLite database only, a key file beside the database file
  (`smssign.db.master-key`, mode 0600), created on first use: every command that opens that
  database finds it, whatever its `--data-dir`;
- a PostgreSQL deployment without `SMSSIGN_MASTER_KEY` refuses to start, because nodes
  with a key file each would seal with different keys and not read each other's secrets.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

SEALED_PREFIX = "sealed:1:"
KEY_FILE_SUFFIX = ".master-key"
ENV_CURRENT = "SMSSIGN_MASTER_KEY"
ENV_PREVIOUS = "SMSSIGN_PREVIOUS_MASTER_KEYS"
_NONCE_BYTES = 12


class MasterKeyError(Exception):
    """The master key is missing, malformed, or cannot open a stored secret."""


@dataclass(frozen=True, slots=True)
class MasterKey:
    """32 secret bytes and a short public id derived from them."""

    material: bytes
    id: str

    def __repr__(self) -> str:
        # Keeps the key bytes out of reprs, tracebacks and logs.
        return f"MasterKey(id={self.id!r})"

    @classmethod
    def from_bytes(cls, material: bytes) -> MasterKey:
        if len(material) != 32:
            raise MasterKeyError("a master key is 32 bytes")
        key_id = hashlib.sha256(b"smssign master key id\0" + material).hexdigest()[:12]
        return cls(material, key_id)

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        """Standard or URL-safe base64 of 32 bytes, padding optional."""
        cleaned = text.strip()
        padded = cleaned + "=" * (-len(cleaned) % 4)
        try:
            material = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MasterKeyError("the master key is not base64") from exc
        if len(material) != 32:
            raise MasterKeyError(
                f"the master key decodes to {len(material)} bytes, not 32 "
                "(make one with `smssign keys generate`)"
            )
        return cls.from_bytes(material)

    @classmethod
    def generate(cls) -> MasterKey:
        return cls.from_bytes(secrets.token_bytes(32))

    def text(self) -> str:
        return base64.urlsafe_b64encode(self.material).decode()


@dataclass(frozen=True, slots=True)
class MasterKeys:
    """The key new secrets are sealed with, and older ones that may still open stored ones."""

    current: MasterKey
    previous: tuple[MasterKey, ...] = ()
    source: str = "memory"
    """Where the keys came from, for messages: environment, a key file path, or memory."""

    def seal(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.current.material).encrypt(nonce, plaintext.encode(), context.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{SEALED_PREFIX}{self.current.id}:{token}"

    def unseal(self, stored: str, context: str) -> str:
        """The plaintext of a sealed secret; text that was never sealed is returned as it is.

        Unsealed text only exists in databases written before secrets were sealed;
        `smssign keys rotate-master` seals it.
        """
        if not stored.startswith(SEALED_PREFIX):
            return stored
        key_id, _, token = stored[len(SEALED_PREFIX) :].partition(":")
        key = self.key(key_id)
        if key is None:
            raise MasterKeyError(f"a secret was sealed with master key {key_id}, which is not set")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            opened = AESGCM(key.material).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
            )
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise MasterKeyError(f"a secret sealed with master key {key_id} does not open") from exc
        return opened.decode()

    def key(self, key_id: str) -> MasterKey | None:
        for key in (self.current, *self.previous):
            if key.id == key_id:
                return key
        return None

    def is_current(self, stored: str) -> bool:
        """True for sealed text under the current key, and for the empty secret."""
        return stored == "" or sealed_key_id(stored) == self.current.id


def sealed_key_id(stored: str) -> str | None:
    """The id of the master key that sealed `stored`, or None if it is not sealed."""
    if not stored.startswith(SEALED_PREFIX):
        return None
    return stored[len(SEALED_PREFIX) :].partition(":")[0]


def secret_context(dialect: str, key_id: str) -> str:
    """Associated data for a credential's sealed secret: it only opens on its own row."""
    return f"smssign credential\0{dialect}\0{key_id}"


def key_context(dialect: str, key_id: str) -> str:
    """Associated data for the sealed copy of a hashed key (`key_id` is its digest): it
    only opens on its own row, and never as that row's secret."""
    return f"smssign credential key\0{dialect}\0{key_id}"


# --- where the keys come from ---------------------------------------------------------


def key_file_for(database_url: str) -> Path | None:
    """The key file beside a SQLite database; None for in-memory SQLite and other databases."""
    if not database_url.startswith("sqlite"):
        return None
    database = make_url(database_url).database
    if not database or database == ":memory:" or "mode=memory" in database_url:
        return None
    return Path(database + KEY_FILE_SUFFIX)


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def load_master_keys(database_url: str, environ: Mapping[str, str] | None = None) -> MasterKeys:
    """The master keys for a database, from the environment or the SQLite key file."""
    env = os.environ if environ is None else environ
    current = env.get(ENV_CURRENT, "").strip()
    previous = _parse_list(env.get(ENV_PREVIOUS, ""))
    if current:
        return MasterKeys(MasterKey.parse(current), previous, "environment")
    if not is_sqlite(database_url):
        raise MasterKeyError(
            f"{ENV_CURRENT} is not set. Every node of a PostgreSQL deployment needs the same "
            "master key: make one with `smssign keys generate` and set it in the environment."
        )
    path = key_file_for(database_url)
    if path is None:
        # An in-memory database disappears with the process, and so may its key.
        return MasterKeys(MasterKey.generate(), previous, "memory")
    keys = read_key_file(path)
    if keys is None:
        write_key_file(path, [MasterKey.generate()], exclusive=True)
        keys = read_key_file(path)
        assert keys is not None
        log.info("created master key file %s (mode 0600); back it up with the database", path)
    return MasterKeys(keys[0], (*keys[1:], *previous), str(path))


def _parse_list(text: str) -> tuple[MasterKey, ...]:
    return tuple(MasterKey.parse(part) for part in text.split(",") if part.strip())


def read_key_file(path: Path) -> list[MasterKey] | None:
    """The keys in a key file, current first; None if there is no file."""
    try:
        text = path.read_text()
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("master key file %s is readable by others; chmod 600 it", path)
    keys = [MasterKey.parse(line) for line in text.splitlines() if line.strip()]
    if not keys:
        raise MasterKeyError(f"the master key file {path} is empty")
    return keys


def write_key_file(path: Path, keys: Sequence[MasterKey], *, exclusive: bool = False) -> None:
    """Write the keys, current first, atomically and readable by the owner only.

    `exclusive` only creates the file: when another process made it first, theirs stays
    (both then read the same key).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".master-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("".join(key.text() + "\n" for key in keys))
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            # link() fails if the name exists: whoever made the file first wins.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
