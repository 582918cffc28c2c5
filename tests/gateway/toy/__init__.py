"""A toy dialect that lives in the test tree: the proof that a provider is one folder."""
