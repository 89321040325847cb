"""CLI commands, one module each, registered lazily in :data:`generator.cli.COMMANDS`."""
