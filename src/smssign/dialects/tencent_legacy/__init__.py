"""Legacy Tencent SMS v5 (`/v5/tlssmssvr/…_sign`): sdkappid + sha256 `sig`, JSON bodies."""
