"""Server settings: command-line flags over environment variables over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///./smssign.db"

DEFAULT_RATE_LIMITS: Mapping[str, str] = {
    "tencent_v3:AddSmsSign": "1/second",
    "tencent_v3:ModifySmsSign": "1/second",
    "tencent_v3:DeleteSmsSign": "1/second",
    "tencent_v3:DescribeSmsSignList": "20/second",
}
"""Per account and action, as Tencent documents them; keys are `<dialect>:<action>`."""


def database_from_env() -> str:
    return os.environ.get("SMSSIGN_DATABASE_URL") or DEFAULT_DATABASE


def data_dir_from_env() -> Path:
    return Path(os.environ.get("SMSSIGN_DATA_DIR") or "./smssign-data")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = field(default_factory=database_from_env)
    data_dir: Path = field(default_factory=data_dir_from_env)
    rate_limits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_limit_enabled: bool = True
    max_body_bytes: int = 12 * 1024 * 1024
    """The server refuses bodies above this before any dialect reads them."""
    tencent_regions: frozenset[str] = frozenset(
        {"ap-beijing", "ap-guangzhou", "ap-nanjing", "ap-shanghai", "ap-singapore"}
    )
