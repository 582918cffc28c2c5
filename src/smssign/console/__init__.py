"""The operators' web console: review queue, signature timelines, accounts and webhooks."""
