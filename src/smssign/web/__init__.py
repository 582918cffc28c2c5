"""What every HTTP face shares: bodies read within limits, the caller's address, request ids,
metrics."""
