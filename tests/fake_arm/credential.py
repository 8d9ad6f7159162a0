"""A credential for tests: a fixed bearer token the fake ARM server accepts. Never used outside tests."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

from tests.fake_arm.server import TOKEN


class StaticTokenCredential:
    """Implements azure-core's TokenCredential protocol with a constant token and counts its calls."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


class AsyncStaticTokenCredential:
    """The async counterpart (azure-core's AsyncTokenCredential protocol), recording into `sync.scopes`, so a test
    sees every token request its clients made, sync or async, on one credential."""

    def __init__(self, sync: StaticTokenCredential) -> None:
        self.sync = sync

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.sync.get_token(*scopes, **kwargs)

    async def close(self) -> None:
        """Nothing to close; the protocol asks for it."""
