"""The one exception type the command line turns into a one-line message and exit status 2."""


class StudyError(ValueError):
    """Bad input from the user: a name, a value, a path. The message is one sentence."""
