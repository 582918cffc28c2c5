"""The dialect gateway: one pipeline serves every dialect's declared protocol."""
