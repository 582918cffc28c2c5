"""Report callbacks: where an account's status reports and replies are pushed.

Per account and report format (a provider's name as its dialects register it, such as
the one both of a provider's APIs share), a status URL and a reply URL. Setting them is
all an operator does; the webhook worker sends what the outbox plans
(smssign.core.reports), with the webhooks' retries and attempt log.
"""

from __future__ import annotations

from smssign.backoffice.webhooks import check_url
from smssign.core import errors
from smssign.core.clock import Clock
from smssign.core.deliveries import Attempt, Delivery, WebhookStore
from smssign.core.reports import Callbacks, ReportFormats, ReportStore


class CallbackService:
    """Set, show and remove an account's report URLs; a message's report deliveries."""

    def __init__(
        self, store: ReportStore, deliveries: WebhookStore, formats: ReportFormats, clock: Clock
    ) -> None:
        self.store = store
        self.deliveries = deliveries
        self.formats = formats
        self.clock = clock

    def _provider(self, provider: str) -> str:
        return self.formats.named(provider.strip().lower()).name

    async def set(
        self,
        account_id: int,
        provider: str,
        *,
        status_url: str | None,
        reply_url: str | None = None,
    ) -> Callbacks:
        """Replace the account's URLs of `provider`: an empty or None URL is not pushed."""
        name = self._provider(provider)
        status = check_url(status_url) if status_url else None
        reply = check_url(reply_url) if reply_url else None
        if status is None and reply is None:
            raise errors.InvalidSubmission("url", "give a status URL, a reply URL or both")
        return await self.store.set_callbacks(account_id, name, status, reply, self.clock.now())

    async def show(self, account_id: int) -> list[Callbacks]:
        return await self.store.callbacks(account_id)

    async def remove(self, account_id: int, provider: str) -> bool:
        return await self.store.remove_callbacks(account_id, self._provider(provider))

    async def report_deliveries(self, message_id: int) -> list[tuple[Delivery, list[Attempt]]]:
        """The deliveries carrying the message's status report, oldest first, each with
        its attempts (the console's message page)."""
        found = await self.store.report_deliveries(message_id)
        return [(d, await self.deliveries.attempts(d.id)) for d in found]
