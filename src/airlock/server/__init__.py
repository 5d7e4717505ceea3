"""The ASGI server: OpenAI routes, admin API, operations endpoints."""

from __future__ import annotations

from airlock.server.app import create_app

__all__ = ["create_app"]
