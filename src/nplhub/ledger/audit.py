"""Full verification of a stored log: recompute everything from the entries, compare with the rest.

What is checked, and what each check catches when rows are changed behind the application's back:

* indices run 0, 1, 2... without gaps             -> a deleted entry (named: the first missing index)
* each entry's bytes name its own index            -> rows swapped, moved or renumbered
* each entry's bytes hash to its stored leaf hash  -> an altered entry
* every stored interior node equals the recomputed one, none missing or extra
                                                   -> an entry altered together with its leaf hash
                                                      (named as the range under the first bad node)
* the head (size, frontier root) matches           -> appended or removed tail rows
* every signed checkpoint verifies under the key and its root equals the recomputed root at its
  size                                             -> a rewrite of everything stored, node table and
                                                      head included, below a signed size
The first bad entry is the lowest position any of these checks points to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from nplhub.ledger.checkpoint import NoteError, NoteVerifier, open_checkpoint
from nplhub.ledger.log import Frontier, decompose, fold
from nplhub.ledger.merkle import EMPTY_ROOT, leaf_hash, node_hash

MAX_REPORTED = 20


class EntryRow(Protocol):
    @property
    def leaf_index(self) -> int: ...
    @property
    def entry(self) -> bytes: ...
    @property
    def leaf_hash(self) -> bytes: ...


class CheckpointRow(Protocol):
    @property
    def origin(self) -> str: ...
    @property
    def tree_size(self) -> int: ...
    @property
    def root_hash(self) -> bytes: ...
    @property
    def note(self) -> str: ...


@dataclass
class Problem:
    position: int | None  # the first leaf index concerned, when there is one
    message: str
    exact: bool = False  # found on the entry itself (not inferred from hashes over several entries)


@dataclass
class AuditReport:
    entries: int = 0
    root: bytes = EMPTY_ROOT
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_entry(self) -> int | None:
        """The lowest position an entry check names; failing only hashes over several entries, the lowest
        first entry under them (entries after a deleted one sit at shifted positions, which makes the
        hashes over them fail too: the entry checks are the better witness)."""
        exact = [p.position for p in self.problems if p.exact and p.position is not None]
        positions = exact or [p.position for p in self.problems if p.position is not None]
        return min(positions) if positions else None

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.problems, key=lambda p: (not p.exact, p.position is None, p.position or 0))
        return {"ok": self.ok, "entries": self.entries, "root": self.root.hex(),
                "checkpoints_checked": self.checkpoints, "first_bad_entry": self.first_bad_entry,
                "problem_count": len(self.problems),
                "problems": [{"entry": p.position, "message": p.message} for p in ordered[:MAX_REPORTED]]}


def _claimed_index(data: bytes) -> Any:
    try:
        record = json.loads(data)
    except ValueError:
        return None
    return record.get("index") if isinstance(record, dict) else None


def _check_entries(entries: Iterable[EntryRow], report: AuditReport) -> list[bytes]:
    hashes: list[bytes] = []
    expected = 0
    for row in entries:
        if row.leaf_index != expected:
            report.problems.append(Problem(expected, f"entries {expected}..{row.leaf_index - 1} are missing "
                                                     "(deleted rows)", exact=True))
        claimed = _claimed_index(row.entry)
        if claimed != row.leaf_index:
            report.problems.append(Problem(min(row.leaf_index, len(hashes)),
                                           f"entry {row.leaf_index} says it is entry {claimed}: "
                                           "rows were reordered, moved or renumbered", exact=True))
        recomputed = leaf_hash(row.entry)
        if recomputed != row.leaf_hash:
            report.problems.append(Problem(row.leaf_index, f"entry {row.leaf_index} was altered: its bytes "
                                                           "no longer hash to its leaf hash", exact=True))
        hashes.append(recomputed)
        expected = row.leaf_index + 1
    return hashes


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) >= 2:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _check_nodes(stored: Iterable[tuple[int, int, bytes]], levels: list[list[bytes]], report: AuditReport) -> None:
    n = len(levels[0])
    next_index = [0] * (len(levels) + 1)
    mismatched: set[tuple[int, int]] = set()

    def missing(level: int, upto: int) -> None:
        if upto > next_index[level]:
            first = next_index[level]
            report.problems.append(Problem(first << level, f"interior hashes ({level}, {first}..{upto - 1}) "
                                                           "are missing"))

    for level, index, value in stored:
        if level < 1 or level >= len(levels) or index >= len(levels[level]):
            start = max(index << level, 0)
            report.problems.append(Problem(max(start, n), f"a stored interior hash ({level}, {index}) over "
                                                          f"entries from {start} has no counterpart in the log"))
            continue
        missing(level, index)
        if levels[level][index] != value:
            mismatched.add((level, index))
        next_index[level] = index + 1
    for level in range(1, len(levels)):
        missing(level, len(levels[level]))
    # Report the lowest failing nodes: a node above a failing node fails as a consequence.
    lowest = sorted((lv, ix) for lv, ix in mismatched
                    if (lv - 1, 2 * ix) not in mismatched and (lv - 1, 2 * ix + 1) not in mismatched)
    for level, index in lowest:
        first, last = index << level, ((index + 1) << level) - 1
        report.problems.append(Problem(first, f"the stored interior hash over entries {first}..{last} does not "
                                              "match them: one of them was rewritten"))
    if len(mismatched) > len(lowest):
        report.problems.append(Problem(None, f"{len(mismatched) - len(lowest)} interior hashes above those fail "
                                             "as a consequence"))


def root_at(levels: Sequence[Sequence[bytes]], size: int) -> bytes:
    """MTH of the first `size` leaves, from the recomputed levels."""
    return fold([levels[lv][ix] for lv, ix in decompose(0, size)])


def audit_log(entries: Iterable[EntryRow], nodes: Iterable[tuple[int, int, bytes]], head: Frontier,
              checkpoints: Iterable[CheckpointRow], verifier: NoteVerifier | None = None) -> AuditReport:
    report = AuditReport()
    leaves = _check_entries(entries, report)
    levels = _levels(leaves)
    _check_nodes(nodes, levels, report)
    n = report.entries = len(leaves)
    report.root = root_at(levels, n)
    if head.size != n:
        report.problems.append(Problem(min(head.size, n), f"the head says {head.size} entries, "
                                                          f"the table holds {n}"))
    elif head.root() != report.root:
        # the frontier's subtrees: those of level 1 and up are stored nodes (checked above); a lone last
        # leaf is covered by no stored node, only here
        bad = [ix for (lv, ix), h in zip(decompose(0, n), head.hashes) if lv == 0 and levels[0][ix] != h]
        report.problems.append(Problem(min(bad) if bad else None, "the head's frontier does not match the "
                                       "entries" + (f": entry {min(bad)} was rewritten" if bad else "")))
    for cp in checkpoints:
        report.checkpoints += 1
        if verifier is not None and cp.origin == verifier.name:
            try:
                signed = open_checkpoint(cp.note, verifier)
            except NoteError as exc:
                report.problems.append(Problem(None, f"checkpoint at size {cp.tree_size}: {exc}"))
                continue
            if (signed.tree_size, signed.root_hash) != (cp.tree_size, cp.root_hash):
                report.problems.append(Problem(None, f"checkpoint at size {cp.tree_size}: the stored size "
                                                     "or root differs from the signed note"))
        if cp.tree_size > n:
            report.problems.append(Problem(n, f"a checkpoint was signed at size {cp.tree_size} but only {n} "
                                              "entries remain"))
        elif root_at(levels, cp.tree_size) != cp.root_hash:
            report.problems.append(Problem(None, f"the entries below {cp.tree_size} no longer produce the root "
                                                 "signed at that size"))
    return report
