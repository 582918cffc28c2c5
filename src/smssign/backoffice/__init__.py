"""The back office services: operators, auto-review, timelines, webhooks, and their wiring."""
