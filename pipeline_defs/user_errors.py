"""Mistakes a user can make on the command line or in the environment: one line on stderr and exit code 2.

Every other exception is a bug and keeps its traceback.
"""

USAGE_EXIT = 2


class UserError(ValueError):
    """A mistake of the user's; its message says what is wrong and what to do, naming the option or variable."""


class SettingsRefusedError(UserError):
    """Variables the settings refuse: one line per bad variable (the code location shows them so)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def one_line(self) -> str:
        fix = "fix or unset the variable" if len(self.problems) == 1 else "fix or unset these variables"
        return f"the settings are refused: {'; '.join(self.problems)} ({fix})"


def one_line(error: UserError) -> str:
    """The error as the command line prints it: one line."""
    if isinstance(error, SettingsRefusedError):
        return error.one_line()
    return " ".join(str(error).split())
