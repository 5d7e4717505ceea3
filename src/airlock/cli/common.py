"""What every command shares: the data directory, the configuration and the store."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from airlock.config import Config, load_config
from airlock.errors import ConfigError
from airlock.stores import Store, StoreError, open_store

__all__ = ["config_option", "data_dir_option", "echo_err", "load", "open_store_for", "resolve_data_dir"]

F = TypeVar("F", bound=Callable[..., Any])


def resolve_data_dir(value: str | None) -> Path:
    raw = value or os.environ.get("AIRLOCK_HOME") or str(Path.home() / ".airlock")
    path = Path(raw).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    return path


def resolve_config_path(value: str | None, data_dir: Path) -> Path | None:
    if value:
        return Path(value)
    env = os.environ.get("AIRLOCK_CONFIG")
    if env:
        return Path(env)
    candidate = data_dir / "airlock.yaml"
    return candidate if candidate.exists() else None


def data_dir_option(fn: F) -> F:
    return click.option(
        "--data-dir",
        "data_dir",
        default=None,
        metavar="DIR",
        help="Data directory (default: $AIRLOCK_HOME, else ~/.airlock).",
    )(fn)


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        "config_path",
        default=None,
        metavar="FILE",
        help="Configuration file (default: $AIRLOCK_CONFIG, else DATA_DIR/airlock.yaml, else embedded defaults).",
    )(fn)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def load(config_path: str | None, data_dir: str | None) -> tuple[Config, Path, Path | None]:
    ddir = resolve_data_dir(data_dir)
    cpath = resolve_config_path(config_path, ddir)
    try:
        config = load_config(cpath)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return config, ddir, cpath


def open_store_for(config: Config, data_dir: Path) -> Store:
    try:
        return open_store(config.store.url, data_dir, durability=config.audit.durability)
    except (StoreError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
