"""Machine layouts: NUMA nodes x cores per node, and their distance matrices."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import SpecError

_TOPO_RE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")

# Named layouts users reach for; "NODESxCORES" strings cover everything else.
PRESETS = {
    "laptop": "1x8",
    "server-2s": "2x32",
    "epyc-96": "4x24",  # the seed's 96 cores as 4 NUMA nodes of 24
}

MAX_CORES = 4096  # a bound on preallocated per-P state, far above any machine here


@dataclass(frozen=True)
class Topology:
    """A machine of ``nodes`` NUMA nodes with ``cores_per_node`` cores each (one P per core)."""

    nodes: int  # NUMA nodes
    cores_per_node: int  # cores in each node

    @property
    def cores(self) -> int:
        return self.nodes * self.cores_per_node

    def __str__(self) -> str:
        return f"{self.nodes}x{self.cores_per_node}"

    @classmethod
    def parse(cls, text: str | Topology) -> Topology:
        """Parse ``"NODESxCORES"`` (e.g. ``"2x8"``) or a preset name."""
        if isinstance(text, Topology):
            return text
        if not isinstance(text, str):
            raise SpecError("topology", "a string NODESxCORES such as '2x8'", text)
        m = _TOPO_RE.match(PRESETS.get(text, text))
        if not m:
            raise SpecError(
                "topology",
                f"NODESxCORES such as '2x8' (integers >= 1) or a preset {sorted(PRESETS)}",
                text,
            )
        nodes, cpn = int(m.group(1)), int(m.group(2))
        if nodes < 1 or cpn < 1 or nodes * cpn > MAX_CORES:
            raise SpecError(
                "topology", f"nodes >= 1, cores per node >= 1, at most {MAX_CORES} cores", text
            )
        return cls(nodes, cpn)

    def node_of_core(self, core: int) -> int:
        return core // self.cores_per_node

    def distance_matrix(self) -> np.ndarray:
        """ACPI SLIT-style distances: 10 within a node, 20 across (two-hop layouts come later)."""
        n = self.nodes
        d = np.full((n, n), 20, dtype=np.int64)
        np.fill_diagonal(d, 10)
        return d
