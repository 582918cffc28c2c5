"""Wire protocols. Each folder translates one provider's requests into core commands and back."""
