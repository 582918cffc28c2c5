"""Yunpian API v2 signatures (`/v2/sign/{add,update,get}.json`): form bodies, `apikey`."""
