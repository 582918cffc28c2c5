"""SQLAlchemy's asyncio engine without its ORM, which the store never uses.

`sqlalchemy.ext.asyncio`'s package `__init__` imports its AsyncSession, and with it the
whole ORM: about 40 ms of CPU at every start (a tenth of `smssign serve`'s cold start),
although the engine, connection and result modules it re-exports import none of it.
`load()` makes the package module without running that `__init__`, imports those three
submodules into it and binds the names `__init__` would bind from them (the same
objects). The first look-up of any other name (AsyncSession, async_sessionmaker, …) runs
the package's own `__init__` on that module, so any code that asks for the ORM's parts
gets them as it always did; only nobody pays for them until then.

If the package was imported already, or its layout is not what this expects, nothing is
changed and the package is imported as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

PACKAGE = "sqlalchemy.ext.asyncio"

ENGINE_NAMES = (
    "AsyncConnection",
    "AsyncEngine",
    "AsyncTransaction",
    "async_engine_from_config",
    "create_async_engine",
    "create_async_pool_from_url",
)
RESULT_NAMES = ("AsyncMappingResult", "AsyncResult", "AsyncScalarResult", "AsyncTupleResult")


def load() -> None:
    """Import `sqlalchemy.ext.asyncio` with its engine and results, and its ORM parts
    deferred to their first use (see the module's docstring)."""
    if PACKAGE in sys.modules:
        return
    parent = importlib.import_module("sqlalchemy.ext")
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    try:
        engine = importlib.import_module(f"{PACKAGE}.engine")
        result = importlib.import_module(f"{PACKAGE}.result")
        exported = {name: getattr(engine, name) for name in ENGINE_NAMES}
        exported.update((name, getattr(result, name)) for name in RESULT_NAMES)
    except (ImportError, AttributeError):
        # Another SQLAlchemy than this was written for: import it the ordinary way.
        del sys.modules[PACKAGE]
        for name in list(sys.modules):
            if name.startswith(PACKAGE + "."):
                del sys.modules[name]
        return
    loader = spec.loader

    def complete(name: str) -> Any:
        # Called for a name not bound yet: run the real `__init__` once, then look again.
        package.__dict__.pop("__getattr__", None)
        loader.exec_module(package)
        return package.__dict__[name] if name in package.__dict__ else _missing(name)

    package.__dict__.update(exported)
    package.__dict__["__getattr__"] = complete
    parent.__dict__["asyncio"] = package


def _missing(name: str) -> Any:
    raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
