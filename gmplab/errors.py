"""Errors users see: one line naming the parameter and what is allowed."""

import os


def env_switch(name: str, default: bool = True) -> bool:
    """An on/off switch in the environment: 1 is on, 0 off, unset the default; anything else is
    refused, naming the variable."""
    v = os.environ.get(name, "").strip()
    if v not in ("", "0", "1"):
        raise ValueError(f"{name} must be 0 or 1 (got {v!r})")
    return default if v == "" else v == "1"


class SpecError(ValueError):
    """A parameter outside its allowed range (raised before the kernel runs)."""

    def __init__(self, parameter: str, allowed: str, got=None):
        self.parameter = parameter
        self.allowed = allowed
        self.got = got
        got_txt = "" if got is None else f" (got {got!r})"
        super().__init__(f"{parameter}: must be {allowed}{got_txt}")


class KernelError(RuntimeError):
    """The kernel stopped with a status other than ok; the message carries the seed."""

    def __init__(self, status: str, message: str, seed):
        self.status = status
        self.seed = seed
        super().__init__(f"{message} [status={status}, seed={seed}]")


class ResourceLimitError(KernelError):
    """A documented resource limit (max_live) was reached."""
