"""Errors a user can act on. Stage scripts print them as one line and exit 2 (see config.stage_main)."""


class AffectlabError(Exception):
    """Base class: the message is the whole story (file, row or key, what is wrong, what would be right)."""


class ConfigError(AffectlabError):
    """params.yaml has an unknown, missing or mistyped key."""


class InputError(AffectlabError):
    """An input file or row is malformed: the message starts with `file:line:`."""


class ModelError(AffectlabError):
    """A model source cannot be resolved or a saved model cannot be loaded."""


def first_line(exc: BaseException) -> str:
    """`TypeName: first line of its message`: one line a user can act on (library errors can run to pages)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
