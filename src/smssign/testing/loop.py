"""Private event loops for running the app beside synchronous test code.

The pytest server fixture keeps the whole smssign app (database engine, workers,
uvicorn) on a loop in a daemon thread (`LoopThread`); the in-process mock keeps it on a
loop that its callers' threads run in turn (`DrivenLoop`). Either way the caller's
thread, and any event loop the caller runs itself, never share asyncio objects with it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """Runs coroutines on its own loop; `close()` stops the loop and joins the thread."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            self._finish()

    def _finish(self) -> None:
        _finish(self.loop)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coroutine` on the loop and wait for its result in the calling thread."""
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("cannot wait for the smssign loop from inside it")
        return self.submit(coroutine).result(timeout)

    async def run_async(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the loop and await it from another (asyncio) loop."""
        return await asyncio.wrap_future(self.submit(coroutine))

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


class DrivenLoop:
    """A private loop with no thread of its own: whichever thread needs an answer runs it.

    A synchronous caller runs the loop itself (`run_until_complete`) for the length of
    its call, so a mocked request is one function call deep: no hand-off to another
    thread and back, which cost more than the app's own work on a busy machine. Callers
    on several threads take turns (one lock); a caller whose thread runs an event loop
    of its own (an `async def` test calling a synchronous client) is blocked for the
    call either way, so its loop is set aside while ours runs. Coroutines awaited from
    another loop (`run_async`) are run by a worker thread of this object, since the
    awaiting loop must keep running.

    Between calls nothing runs: the mock starts no background work. A call abandoned at
    its timeout is not cancelled; it goes on at the next call (or at `close`), as a
    server goes on with a request whose client gave up.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        self._driver: int | None = None
        """The thread running the loop now, if any."""
        self._workers: concurrent.futures.ThreadPoolExecutor | None = None
        self._workers_lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coroutine` on the loop, in the calling thread, and return its result;
        TimeoutError if it did not finish within `timeout` seconds."""
        if self._driver == threading.get_ident():
            coroutine.close()
            raise RuntimeError(f"cannot wait for the {self.name} loop from inside it")
        if not self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            coroutine.close()
            raise TimeoutError(f"the {self.name} loop stayed busy for {timeout:g} s")
        try:
            if self.loop.is_closed():
                coroutine.close()
                raise RuntimeError(f"the {self.name} loop is closed")
            self._driver = threading.get_ident()
            outer = asyncio.events._get_running_loop()
            if outer is not None:
                asyncio.events._set_running_loop(None)
            try:
                return self._drive(coroutine, timeout)
            finally:
                if outer is not None:
                    asyncio.events._set_running_loop(outer)
                self._driver = None
        finally:
            self._lock.release()

    def _drive(self, coroutine: Coroutine[Any, Any, T], timeout: float | None) -> T:
        # run_until_complete, with a timer that stops the loop at the deadline: cheaper
        # than a second task waiting on the first with asyncio.wait.
        loop = self.loop
        task = loop.create_task(coroutine)
        task.add_done_callback(_stop)
        timer = None if timeout is None else loop.call_later(timeout, loop.stop)
        try:
            loop.run_forever()
        except BaseException:
            if not task.done():
                task.remove_done_callback(_stop)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if not task.done():
            # Left on the loop, not cancelled (see the class's docstring).
            task.remove_done_callback(_stop)
            raise TimeoutError(f"no answer within {timeout:g} s")
        return task.result()

    async def run_async(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the loop and await it from another (asyncio) loop."""
        with self._workers_lock:
            if self._workers is None:
                self._workers = concurrent.futures.ThreadPoolExecutor(
                    max_workers=4, thread_name_prefix=self.name
                )
            workers = self._workers
        return await asyncio.wrap_future(workers.submit(self.run, coroutine))

    def close(self) -> None:
        """Finish what is left on the loop (cancelling it), then close the loop."""
        with self._workers_lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=True)
        with self._lock:
            if self.loop.is_closed():
                return
            outer = asyncio.events._get_running_loop()
            if outer is not None:
                asyncio.events._set_running_loop(None)
            try:
                _finish(self.loop)
            finally:
                if outer is not None:
                    asyncio.events._set_running_loop(outer)


def _stop(task: asyncio.Future[Any]) -> None:
    task.get_loop().stop()


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    # Whatever is still scheduled is cancelled and awaited, so that nothing is left
    # pending (or warning about it) when the loop closes.
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
