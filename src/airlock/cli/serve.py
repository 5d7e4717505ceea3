"""``airlock serve`` and ``airlock config check``."""

from __future__ import annotations

import os
import sys

import click

from airlock.bootstrap import Bootstrap, bootstrap_keys
from airlock.cli.common import config_option, data_dir_option, echo_err, load, open_store_for
from airlock.config import Config

__all__ = ["config_group", "serve"]


def _banner(config: Config, host: str, port: int, boot: Bootstrap | None) -> None:
    base = f"http://{host}:{port}/v1"
    model = config.deployments[0].model_id
    echo_err(f"Airlock listening on {base} (config revision {config.revision})")
    if boot is None:
        return
    echo_err("")
    echo_err("First run: keys created. They are shown ONCE; a copy is in")
    echo_err(f"  {boot.path} (mode 0600)")
    echo_err(f"  admin key : {boot.admin_key}")
    echo_err(f"  {boot.tenant} key  : {boot.tenant_key}")
    echo_err("")
    echo_err("Try it:")
    echo_err(
        f"  curl -s {base}/chat/completions -H 'Authorization: Bearer {boot.tenant_key}' "
        f"-H 'Content-Type: application/json' "
        f"-d '{{\"model\": \"{model}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello!\"}}]}}'"
    )
    echo_err("")
    echo_err(
        f"  python -c \"from openai import OpenAI; c = OpenAI(base_url='{base}', api_key='{boot.tenant_key}'); "
        f"print(c.chat.completions.create(model='{model}', "
        f"messages=[{{'role': 'user', 'content': 'Hello!'}}]).choices[0].message.content)\""
    )
    echo_err("")


@click.command()
@config_option
@data_dir_option
@click.option("--host", default=None, help="Interface to listen on (default: server.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: server.port, 8080).")
def serve(config_path: str | None, data_dir: str | None, host: str | None, port: int | None) -> None:
    """Start the gateway."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import uvicorn

    from airlock.logs import setup_logging
    from airlock.server import create_app

    config, ddir, cpath = load(config_path, data_dir)
    setup_logging(config.server.log_level)
    store = open_store_for(config, ddir)
    boot = bootstrap_keys(config, store, ddir)
    app = create_app(config, data_dir=ddir, store=store)
    h = host or config.server.host
    p = port if port is not None else config.server.port
    echo_err(f"configuration: {cpath or 'embedded defaults'}; data directory: {ddir}")
    _banner(config, h, p, boot)
    sys.stderr.flush()
    uvicorn.run(
        app,
        host=h,
        port=p,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    store.close()


@click.group("config")
def config_group() -> None:
    """Validate configuration."""


@config_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def check(file: str) -> None:
    """Validate FILE and print its revision hash."""
    from airlock.config import load_config
    from airlock.errors import ConfigError

    try:
        config = load_config(file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(config.revision)
    echo_err(
        f"{file}: valid ({len(config.deployments)} deployment(s), {len(config.tenants)} tenant(s))"
    )
