"""Provider-neutral domain: entities, rules, use cases and errors. No HTTP and no SQL here."""
