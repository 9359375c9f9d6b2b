"""The compact in-memory index of what is due soon: a heap of `(next_run_ms, task_id)`.

SQLite is the source of truth. The index holds only the tasks due before `horizon`; the rest
are loaded window by window from the `tasks(status, next_run_at)` index as time moves on.
Entries can go stale (a task edited, paused or deleted after it was pushed): whoever pops an
entry checks it against the stored task before running anything.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable


class DueIndex:
    """A min-heap of `(next_run_ms, task_id)` covering every active task due before `horizon`."""

    __slots__ = ("_heap", "horizon_ms")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int]] = []
        self.horizon_ms: int = -1

    def __len__(self) -> int:
        return len(self._heap)

    def covers(self, due_ms: int) -> bool:
        """True when an entry due at `due_ms` belongs in the index now."""
        return due_ms <= self.horizon_ms

    def push(self, due_ms: int, task_id: int) -> bool:
        """Add an entry if it falls inside the horizon; returns whether it became the earliest."""
        if due_ms > self.horizon_ms:
            return False
        heapq.heappush(self._heap, (due_ms, task_id))
        return self._heap[0] == (due_ms, task_id)

    def extend(self, entries: Iterable[tuple[int, int]], horizon_ms: int) -> None:
        """Add a freshly loaded window and move the horizon to its end."""
        self._heap.extend(entries)
        heapq.heapify(self._heap)
        self.horizon_ms = max(self.horizon_ms, horizon_ms)

    def peek(self) -> int | None:
        """When the earliest entry is due, or None when the index is empty."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now_ms: int, limit: int | None = None) -> list[tuple[int, int]]:
        """Remove and return the entries due at or before `now_ms`, earliest first, deduplicated."""
        out: list[tuple[int, int]] = []
        heap = self._heap
        last: tuple[int, int] | None = None
        while heap and heap[0][0] <= now_ms and (limit is None or len(out) < limit):
            entry = heapq.heappop(heap)
            if entry != last:
                out.append(entry)
                last = entry
        return out

    def clear(self) -> None:
        self._heap.clear()
        self.horizon_ms = -1
