"""The one base of the failures newsbot explains to its user."""


class NewsbotError(Exception):
    """A failure whose message is for the user: one line saying what went wrong and what to do,
    never a secret. The CLI prints it as it is; anything else is a bug and says so."""


def first_line(error: BaseException, limit: int = 200) -> str:
    """An error's first line, cut to `limit` (its type's name when it has no message): what a
    one-line message quotes of a library's error."""
    return str(error).split("\n")[0][:limit] or type(error).__name__
