"""User-facing errors: raised for bad input, printed by the CLI as one clear message (no traceback)."""


class UserError(Exception):
    """Bad input or environment the user can fix; the message names the file/thing and the fix."""
