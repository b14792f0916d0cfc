"""gmplab: a reproducible research lab for goroutine schedulers.

The public API: ``simulate`` (run a spec), ``make_spec`` / ``RunSpec`` (validated specs),
``Topology``, ``Costs``, the ``theory`` module of exact queueing results.
"""

from .errors import KernelError, ResourceLimitError, SpecError
from .params import Costs, RunSpec, Workload, make_spec
from .simulate import kernel_version, simulate
from .topology import Topology

__version__ = "0.1.0"

__all__ = [
    "Costs",
    "KernelError",
    "ResourceLimitError",
    "RunSpec",
    "SpecError",
    "Topology",
    "Workload",
    "kernel_version",
    "make_spec",
    "simulate",
]
