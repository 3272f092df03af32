"""The argument parser of the `python -m affectlab.*` commands: a bad argument is ONE line on stderr and exit 2,
like every other bad input (argparse prints the usage and the error on two lines)."""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """`error: <what is wrong> (usage: <the usage line>)`, exit 2. Sub-commands get the same class."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
        print(f"error: {message} (usage: {usage})", file=sys.stderr)
        sys.exit(2)
