"""Azure OpenAI: deployment URLs with ``api-version``, ``api-key`` or Entra ID bearer tokens.

Azure's content-filter annotations (``prompt_filter_results``, ``content_filter_results``)
and its asynchronous-filter chunks (empty ``id``/``model``, no ``delta``) are passed through
untouched; the relay treats them as annotation-only chunks.
"""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path
from typing import Any

import orjson

from airlock.config import AzureSettings, DeploymentConfig
from airlock.errors import ConfigError
from airlock.providers.base import ProviderError
from airlock.providers.http import HttpClient
from airlock.providers.openai_compat import OpenAICompatibleProvider

__all__ = ["AzureOpenAIProvider", "EntraTokenSource"]

_DEFAULT_TOKEN_TTL = 600.0
_REFRESH_MARGIN = 300.0


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT, read without verification (only to schedule refresh)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, orjson.JSONDecodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


class EntraTokenSource:
    """Bearer tokens from a configured command (argv, no shell) or file, cached until expiry."""

    def __init__(self, settings: AzureSettings, clock: Any = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token and self._clock() < self._expires - _REFRESH_MARGIN:
                return self._token
            token = await self._fetch()
            exp = _jwt_expiry(token)
            self._token = token
            self._expires = exp if exp else self._clock() + _DEFAULT_TOKEN_TTL + _REFRESH_MARGIN
            return token

    async def _fetch(self) -> str:
        if self.settings.token_file:
            try:
                path = Path(self.settings.token_file)
                token = (await asyncio.to_thread(path.read_text, encoding="utf-8")).strip()
            except OSError as exc:
                raise ProviderError(f"cannot read azure.token_file: {exc.strerror}", kind="auth") from None
        else:
            assert self.settings.token_command
            proc = await asyncio.create_subprocess_exec(
                *self.settings.token_command,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
            except TimeoutError:
                proc.kill()
                raise ProviderError("azure.token_command timed out", kind="auth") from None
            if proc.returncode != 0:
                raise ProviderError(f"azure.token_command exited with {proc.returncode}", kind="auth")
            token = out.decode("utf-8", "replace").strip()
        if not token:
            raise ProviderError("the Entra ID token source returned nothing", kind="auth")
        return token


class AzureOpenAIProvider(OpenAICompatibleProvider):
    def __init__(self, deployment: DeploymentConfig, client: HttpClient) -> None:
        super().__init__(deployment, client)
        assert deployment.azure is not None
        self.azure = deployment.azure
        self._tokens = EntraTokenSource(self.azure) if self.azure.auth == "entra" else None

    def url(self, operation: str) -> str:
        az = self.azure
        return f"{az.base}/openai/deployments/{az.deployment}/{operation}?api-version={az.api_version}"

    async def auth_headers(self) -> dict[str, str]:
        if self._tokens is not None:
            return {"authorization": f"Bearer {await self._tokens.token()}"}
        try:
            key = self.deployment.api_key()
        except ConfigError as exc:
            raise ProviderError(str(exc), kind="auth") from None
        if not key:
            raise ProviderError(
                f"deployment {self.name!r}: azure auth is api_key but no api_key_env/api_key_file is set",
                kind="auth",
            )
        return {"api-key": key}

    def prepare(self, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        out = super().prepare(body, stream=stream)
        out.pop("model", None)  # the deployment in the URL names the model
        return out
