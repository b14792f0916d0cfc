"""Machine layouts: NUMA nodes x cores per node, their SLIT distances, and SMT siblings."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .errors import SpecError

_TOPO_RE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")

MAX_CORES = 4096  # a bound on preallocated per-P state, far above any machine here
LOCAL_DISTANCE = 10  # ACPI SLIT: a node's distance to itself
DEFAULT_REMOTE_DISTANCE = 20  # the SLIT value firmware reports for "one hop away"


def _two_level(nodes: int, per_socket: int, near: int, far: int) -> tuple:
    """SLIT rows for sockets of `per_socket` nodes: `near` within a socket, `far` across."""
    rows = []
    for i in range(nodes):
        row = []
        for j in range(nodes):
            if i == j:
                row.append(LOCAL_DISTANCE)
            else:
                row.append(near if i // per_socket == j // per_socket else far)
        rows.append(tuple(row))
    return tuple(rows)


# Named machines users reach for (their SLIT tables as such machines report them); plain
# "NODESxCORES" strings cover everything else, with distance 20 between nodes.
PRESETS = {
    "laptop": ("1x8", None),  # one node, 8 cores
    "server": ("1x16", None),  # a one-socket 16-core server
    "server-2s": ("2x32", None),
    # two sockets of 48 cores (a 96-core Xeon): 10 local, 21 across (a typical 2-socket SLIT)
    "xeon-2x48": ("2x48", _two_level(2, 1, 21, 21)),
    # one 96-core EPYC in NPS4 mode: 4 nodes of 24, 12 between nodes of the socket
    "epyc-96": ("4x24", _two_level(4, 4, 12, 12)),
    # two EPYC sockets in NPS4: 8 nodes of 16 cores, 12 within a socket, 32 across
    "epyc-2s-128": ("8x16", _two_level(8, 4, 12, 32)),
}


@dataclass(frozen=True)
class Topology:
    """A machine: ``nodes`` NUMA nodes of ``cores_per_node`` cores, an optional SLIT distance
    matrix (10 on the diagonal; default 20 off it), and optional SMT: two hardware threads per
    core (logical CPUs 2k and 2k+1 on core k), each running at ``smt_factor`` of the core's
    speed while its sibling is busy (so a busy core does 2 x smt_factor the work of one)."""

    nodes: int  # NUMA nodes
    cores_per_node: int  # cores in each node
    distances: tuple | None = None  # SLIT rows (nodes x nodes); None: 10 local, 20 remote
    smt_factor: float | None = None  # SMT on: a thread's speed while its sibling runs

    @property
    def cores(self) -> int:
        return self.nodes * self.cores_per_node

    @property
    def cpus(self) -> int:
        """Logical CPUs (what runtime.NumCPU reports): cores, twice that with SMT."""
        return self.cores * (2 if self.smt_factor is not None else 1)

    @property
    def cpus_per_node(self) -> int:
        return self.cpus // self.nodes

    def __str__(self) -> str:
        return f"{self.nodes}x{self.cores_per_node}"

    @classmethod
    def parse(cls, text, distances=None, smt_factor=None) -> Topology:
        """``"NODESxCORES"`` (e.g. ``"2x8"``) or a preset name, with an optional SLIT matrix
        (a list of rows) and SMT factor."""
        if isinstance(text, Topology):
            if distances is None and smt_factor is None:
                return text
            base = text
            text = f"{base.nodes}x{base.cores_per_node}"
            distances = distances if distances is not None else base.distances
            smt_factor = smt_factor if smt_factor is not None else base.smt_factor
        if not isinstance(text, str):
            raise SpecError("topology", "a string NODESxCORES such as '2x8'", text)
        preset_dist = None
        if text in PRESETS:
            text, preset_dist = PRESETS[text]
        m = _TOPO_RE.match(text)
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
        d = distances if distances is not None else preset_dist
        topo = cls(nodes, cpn, _check_distances(d, nodes), _check_smt(smt_factor))
        if topo.cpus > MAX_CORES:
            raise SpecError("topology", f"at most {MAX_CORES} logical CPUs (SMT doubles)", text)
        return topo

    def node_of_core(self, core: int) -> int:
        return core // self.cores_per_node

    def distance_matrix(self) -> np.ndarray:
        """ACPI SLIT-style distances: 10 within a node; the given matrix, else 20 across."""
        if self.distances is not None:
            return np.array(self.distances, dtype=np.int64)
        n = self.nodes
        d = np.full((n, n), DEFAULT_REMOTE_DISTANCE, dtype=np.int64)
        np.fill_diagonal(d, LOCAL_DISTANCE)
        return d

    def to_dict(self) -> dict:
        out = {"topology": f"{self.nodes}x{self.cores_per_node}"}
        if self.distances is not None:
            out["distances"] = [list(r) for r in self.distances]
        if self.smt_factor is not None:
            out["smt_factor"] = self.smt_factor
        return out


def _check_distances(d, nodes: int):
    """A SLIT matrix: square (nodes x nodes), 10 on the diagonal, 10..254 elsewhere."""
    if d is None:
        return None
    try:
        rows = tuple(tuple(int(x) if float(x) == int(x) else x for x in r) for r in d)
    except (TypeError, ValueError):
        raise SpecError("distances", "a list of rows of integers (a SLIT matrix)", d) from None
    if len(rows) != nodes or any(len(r) != nodes for r in rows):
        raise SpecError("distances", f"a square {nodes}x{nodes} matrix (one row per node)", d)
    for i, r in enumerate(rows):
        for j, x in enumerate(r):
            if not isinstance(x, int) or isinstance(x, bool):
                raise SpecError(f"distances[{i}][{j}]", "an integer", x)
            if i == j and x != LOCAL_DISTANCE:
                raise SpecError(f"distances[{i}][{i}]", "10 (a node's distance to itself)", x)
            if i != j and not LOCAL_DISTANCE <= x <= 254:
                raise SpecError(f"distances[{i}][{j}]", "an integer in [10, 254]", x)
    return rows


def _check_smt(f):
    if f is None:
        return None
    if isinstance(f, bool) or not isinstance(f, int | float) or not math.isfinite(f):
        raise SpecError("smt_factor", "a number in (0, 1]", f)
    if not 0 < f <= 1:
        raise SpecError(
            "smt_factor", "a number in (0, 1]: a thread's speed beside a busy sibling", f
        )
    return float(f)
