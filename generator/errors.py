"""User-facing errors: raised for bad input, printed by the CLI as one clear message (no traceback)."""


class UserError(Exception):
    """Bad input or environment the user can fix; the message names the file/thing and the fix."""


class StopRun(UserError):
    """A problem that stops the whole run rather than one work unit (``--fail-fast`` on a bad image, a full disk or a
    read-only output folder): the runner keeps every finished unit, reports, and exits non-zero."""
