"""A provider that lives in the test tree: one folder, registered by the tests alone."""
