"""Errors users see: one line naming the parameter and what is allowed."""


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
