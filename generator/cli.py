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
    "reproduce-report": "generator.commands.reproduce:reproduce_report",
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


# Exit statuses of every command (documented in the README, "What mkbench guarantees").
EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


def _exit_code(code) -> int:
    """click's exit code (int, None or a message) as a process status."""
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_FAILED


# top-level module -> the extra of pyproject.toml that installs it
EXTRA_OF = {**dict.fromkeys(("torch", "torchvision", "open_clip", "PIL", "sklearn", "skimage", "cv2", "safetensors"),
                            "engine"),
            **dict.fromkeys(("jinja2", "altair", "vl_convert", "mkdocs", "material"), "site"),
            "submitit": "slurm", "SimpleCRF": "crf", "denseCRF": "crf"}


def main(argv=None):
    """Entry point of the ``mkbench`` script: runs the click group and turns its outcome into an exit status.

    0: everything succeeded; 1: the command ran but something failed (classes failed, runs invalid); 2: bad input,
    usage or environment (one line naming the file and the fix, no traceback); 130: interrupted; 70: a bug in
    mkbench (one line with the exception, asking to report it; ``MKBENCH_DEBUG=1`` shows the traceback); a missing
    optional dependency names the extra of pyproject.toml that installs it (:data:`EXTRA_OF`)."""
    try:
        # standalone_mode=False returns the code of ctx.exit(n) instead of exiting: it must not be dropped
        code = cli.main(args=argv, standalone_mode=False)
    except UserError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(EXIT_INPUT)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(_exit_code(e.exit_code))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except ModuleNotFoundError as e:  # an optional part not installed: name the extra that brings it
        extra = EXTRA_OF.get((e.name or "").split(".")[0])
        if extra is None:
            _bug(e)
        click.secho(f"error: this command needs {e.name}, which is not installed; install it with "
                    f"pip install 'mkbench[{extra}]' (or 'mkbench[all]')", fg="red", err=True)
        sys.exit(EXIT_INPUT)
    except OSError as e:  # the environment: full disk, read-only or vanished folder, permissions
        where = f"{e.filename}: " if e.filename else ""
        click.secho(f"error: {where}{e.strerror or e}; free space, fix the permissions or choose another folder, "
                    "then rerun (finished classes are kept)", fg="red", err=True)
        sys.exit(EXIT_INPUT)
    except Exception as e:  # a bug: one line, not a traceback (unless asked for)
        _bug(e)
    sys.exit(_exit_code(code))


def _bug(e: Exception):
    import os

    if os.environ.get("MKBENCH_DEBUG"):
        raise e
    msg = " ".join(str(e).split())[:500]
    click.secho(f"internal error: {type(e).__name__}: {msg} -- this is a bug in mkbench, please report it with "
                "the command line and this line (MKBENCH_DEBUG=1 shows the traceback)", fg="red", err=True)
    sys.exit(EXIT_BUG)
