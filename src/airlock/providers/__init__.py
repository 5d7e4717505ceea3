"""Providers: one interface for every upstream, registered by type name.

``openai`` (any OpenAI-compatible base URL), ``azure_openai`` and ``local`` (the embedded
llama.cpp model) register themselves exactly as a third-party provider would::

    @register_provider("my_provider")
    def build(deployment: DeploymentConfig, http: HttpClient) -> Provider: ...
"""

from __future__ import annotations

from collections.abc import Callable

from airlock.config import DeploymentConfig
from airlock.providers.base import ChatResult, Provider, ProviderError, StreamClosed
from airlock.providers.http import AiohttpClient, HttpClient, HttpxClient

__all__ = [
    "AiohttpClient",
    "ChatResult",
    "HttpClient",
    "HttpxClient",
    "Provider",
    "ProviderError",
    "StreamClosed",
    "build_provider",
    "register_provider",
]

ProviderFactory = Callable[[DeploymentConfig, HttpClient], Provider]
_FACTORIES: dict[str, ProviderFactory] = {}


def register_provider(kind: str) -> Callable[[ProviderFactory], ProviderFactory]:
    def decorate(factory: ProviderFactory) -> ProviderFactory:
        _FACTORIES[kind] = factory
        return factory

    return decorate


@register_provider("openai")
def _openai(deployment: DeploymentConfig, http: HttpClient) -> Provider:
    from airlock.providers.openai_compat import OpenAICompatibleProvider

    return OpenAICompatibleProvider(deployment, http)


@register_provider("azure_openai")
def _azure(deployment: DeploymentConfig, http: HttpClient) -> Provider:
    from airlock.providers.azure import AzureOpenAIProvider

    return AzureOpenAIProvider(deployment, http)


@register_provider("local")
def _local(deployment: DeploymentConfig, http: HttpClient) -> Provider:
    from airlock.providers.local import LocalProvider

    return LocalProvider(deployment)


def build_provider(deployment: DeploymentConfig, http: HttpClient | None = None) -> Provider:
    """The provider for one configured deployment (``http`` defaults to a pooled aiohttp client)."""
    try:
        factory = _FACTORIES[deployment.provider]
    except KeyError:
        raise ValueError(f"no provider registered for type {deployment.provider!r}") from None
    return factory(deployment, http or AiohttpClient())
