"""``airlock`` console script: one click group, one module per command family.

Each command family lives in its own module and is attached here with one line. Output
contract for scripts: machine-readable results go to stdout, everything else to stderr.
"""

from __future__ import annotations

import click

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="airlock-gateway", prog_name="airlock")
def cli() -> None:
    """Airlock: a governed gateway between your organisation and large language models."""


def _attach() -> None:
    # one line per command family
    from airlock.cli import audit, keys, ledger, policy, serve
    from airlock.cli.eval import eval_group
    from airlock.cli.scan import scan

    cli.add_command(serve.serve)
    cli.add_command(serve.config_group)
    cli.add_command(keys.keys)
    cli.add_command(audit.audit)
    cli.add_command(policy.policy)
    cli.add_command(policy.replay)
    cli.add_command(scan)
    cli.add_command(ledger.ledger)
    cli.add_command(eval_group)


_attach()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
