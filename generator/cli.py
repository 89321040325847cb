"""The ``mkbench`` command line: a thin click group. Commands live in their own modules and are imported
lazily (so ``mkbench --help`` does not import torch); register one by adding it to :data:`COMMANDS`."""
from __future__ import annotations

import importlib
import sys

import click

from .errors import UserError

# command name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "compute": "generator.commands.compute:compute",
    "run": "generator.commands.build:run", "build": "generator.commands.build:build",
    "models": "generator.commands.models:models", "datasets": "generator.commands.datasets:datasets",
    "descriptors": "generator.commands.descriptors:descriptors", "validate": "generator.commands.validate:validate",
    "train-demo": "generator.commands.demo:train_demo",
    "make-demo-dataset": "generator.commands.demo:make_demo_dataset",
    "site": "generator.commands.site:site", "serve": "generator.commands.site:serve",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mkbench")
def cli():
    """mkbench: explain CLIP zero-shot classification by mutual knowledge and publish it as a website."""


def main(argv=None):
    try:
        cli.main(args=argv, standalone_mode=False)
    except UserError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
