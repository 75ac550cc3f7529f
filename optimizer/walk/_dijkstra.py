"""A compiled bounded Dijkstra (numba): one run per source over a graph's CSR arrays.

Each source enters the graph at a few nodes (``start_node[k, j]``, ``-1`` for none) after
``start_cost[k, j]`` metres, like a virtual root with one edge per entry. The search stops at
``limit``: a node is reached when ``dist + length <= limit``, exactly the rule of
``scipy.sparse.csgraph.dijkstra(limit=...)``, and every distance is the same float sum
(``dist[u] + length``, in the order the shortest path takes), so the metres are bit-for-bit
those of scipy and networkx. With non-negative lengths the float result does not depend on
the order ties are settled in: a node's distance is the minimum of ``dist[u] + length`` over
neighbours settled before it, and a neighbour settled later cannot be shorter.

The per-source work is proportional to what the source reaches: ``dist`` is one array per
worker, reset through the list of reached nodes (not refilled), and the heap is a binary
heap with lazy deletion. Sources are split over threads (the kernel releases the GIL).

Without numba (:data:`AVAILABLE` false) nothing here can run; callers fall back on scipy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..executor import available_cpus

try:  # numba is optional: without it the walk engine uses scipy.
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None  # type: ignore[assignment]

#: True when numba is installed and the compiled kernel can run.
AVAILABLE = numba is not None


def _njit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``numba.njit`` (no GIL, cached on disk, strict IEEE floats), or the plain function without numba."""
    if numba is None:
        return fn
    return numba.njit(nogil=True, cache=True, fastmath=False, boundscheck=False)(fn)


@_njit
def _grow(a: np.ndarray) -> np.ndarray:
    """``a`` copied into an array twice as long."""
    b = np.empty(2 * a.shape[0], dtype=a.dtype)
    b[: a.shape[0]] = a
    return b


@_njit
def _push(heap_key: np.ndarray, heap_node: np.ndarray, size: int, key: float, node: int) -> int:
    """Push ``(key, node)`` on the binary heap of ``size`` entries (sift up); returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap_key[parent] <= key:
            break
        heap_key[i] = heap_key[parent]
        heap_node[i] = heap_node[parent]
        i = parent
    heap_key[i] = key
    heap_node[i] = node
    return size + 1


@_njit
def _search(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    start_node: np.ndarray,
    start_cost: np.ndarray,
    limit: float,
    dist: np.ndarray,
    heap_key: np.ndarray,
    heap_node: np.ndarray,
    out_node: np.ndarray,
    out_m: np.ndarray,
    n_out: int,
) -> int:
    """One bounded Dijkstra from the entries ``start_node[j]`` (``-1``: none) at ``start_cost[j]``.

    The settled nodes and their metres are written to ``out_node``/``out_m`` from ``n_out`` on,
    in the order they were settled; returns the new count, or -1 when the output is full (the
    caller resets ``dist`` and runs the source again with more room). The heap has lazy deletion
    (an entry per improvement, stale ones skipped), so it needs room for one entry per edge and
    entry at most; it is never re-allocated in the hot loop.
    """
    cap = out_node.shape[0]
    size = 0
    for j in range(start_node.shape[0]):
        s = start_node[j]
        if s < 0:
            continue
        c = 0.0 + start_cost[j]  # the virtual root's distance (0) + its edge, as scipy adds it
        if c <= limit and c < dist[s]:
            dist[s] = c
            size = _push(heap_key, heap_node, size, c, s)
    while size > 0:
        d = heap_key[0]
        u = heap_node[0]
        size -= 1
        if size > 0:  # pop: the last entry sifts down from the root
            last_key = heap_key[size]
            last_node = heap_node[size]
            i = 0
            while True:
                child = 2 * i + 1
                if child >= size:
                    break
                if child + 1 < size and heap_key[child + 1] < heap_key[child]:
                    child += 1
                if heap_key[child] >= last_key:
                    break
                heap_key[i] = heap_key[child]
                heap_node[i] = heap_node[child]
                i = child
            heap_key[i] = last_key
            heap_node[i] = last_node
        if d > dist[u]:
            continue  # a stale entry: u was reached shorter since
        if n_out == cap:
            return -1
        out_node[n_out] = u
        out_m[n_out] = d
        n_out += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weights[e]
            if nd <= limit and nd < dist[v]:
                dist[v] = nd
                size = _push(heap_key, heap_node, size, nd, v)
    return n_out


@_njit
def _bounded_dijkstra(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    start_node: np.ndarray,
    start_cost: np.ndarray,
    source_id: np.ndarray,
    limit: float,
    dist: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One bounded Dijkstra (:func:`_search`) per row of ``start_node``: COO ``(source_id[k], node, metres)``.

    ``dist`` is a work array of the graph's size, all ``inf`` on entry, and left so on return
    (reset through the nodes each source reached: every node given a distance is pushed, so
    popped at its final distance, so listed). Nodes come out in the order they were settled.
    """
    n_src, n_start = start_node.shape
    cap = max(4096, 256 * n_src)
    out_src = np.empty(cap, dtype=np.int64)
    out_node = np.empty(cap, dtype=np.int64)
    out_m = np.empty(cap, dtype=np.float64)
    heap_key = np.empty(indices.shape[0] + n_start, dtype=np.float64)
    heap_node = np.empty(indices.shape[0] + n_start, dtype=np.int32)
    n_out = 0
    k = 0
    while k < n_src:
        starts, costs = start_node[k], start_cost[k]
        end = _search(
            indptr, indices, weights, starts, costs, limit, dist, heap_key, heap_node, out_node, out_m, n_out
        )
        if end < 0:  # out of room: this source again, with twice the room
            dist[:] = np.inf
            cap *= 2
            out_src = _grow(out_src)
            out_node = _grow(out_node)
            out_m = _grow(out_m)
            continue
        out_src[n_out:end] = source_id[k]
        for i in range(n_out, end):
            dist[out_node[i]] = np.inf
        n_out = end
        k += 1
    if 2 * n_out < cap:  # mostly empty (only the first allocation can be): copy what is used
        return out_src[:n_out].copy(), out_node[:n_out].copy(), out_m[:n_out].copy()
    return out_src[:n_out], out_node[:n_out], out_m[:n_out]  # at least half used: no copy


_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _executor(threads: int) -> ThreadPoolExecutor:
    """A shared thread pool of ``threads`` workers (re-made when the count changes)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != threads:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="walk-dijkstra")
            _pool_size = threads
        return _pool


def csr_arrays(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, ...]:
    """The CSR arrays in the kernel's types (int64, int32, float64), so it compiles once."""
    return (
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int32),
        np.ascontiguousarray(data, dtype=np.float64),
    )


def bounded_dijkstra_parts(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    start_node: np.ndarray,
    start_cost: np.ndarray,
    limit: float,
    source_id: np.ndarray | None = None,
    threads: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Bounded Dijkstra from every row of ``start_node`` / ``start_cost`` (``(n, k)``; ``-1`` = no entry).

    Returns one part per thread, each COO triplets ``(source, node, metres)``: every node with
    ``metres <= limit``, once per source, sources grouped (``source`` is ``source_id[k]``,
    default ``k``). ``threads`` workers (default: the CPUs available) each take every
    ``threads``-th source. The parts are not concatenated (that would be one more pass over
    the pairs); :func:`bounded_dijkstra` does it.
    """
    if not AVAILABLE:
        raise ImportError("the compiled walk engine needs numba (pip install numba)")
    indptr, indices, weights = csr_arrays(indptr, indices, weights)
    n_nodes = len(indptr) - 1
    start_node = np.asarray(start_node, dtype=np.int64)
    start_node = start_node.reshape(len(start_node), -1)
    start_cost = np.asarray(start_cost, dtype=np.float64).reshape(start_node.shape)
    n_src = len(start_node)
    if source_id is None:
        source_id = np.arange(n_src, dtype=np.int64)
    source_id = np.asarray(source_id, dtype=np.int64)
    threads = available_cpus() if threads is None else max(1, int(threads))
    threads = min(threads, max(1, n_src // 16))
    limit = float(limit)

    def work(part: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dist = np.full(n_nodes, np.inf)
        return _bounded_dijkstra(
            indptr,
            indices,
            weights,
            np.ascontiguousarray(start_node[part]),
            np.ascontiguousarray(start_cost[part]),
            np.ascontiguousarray(source_id[part]),
            limit,
            dist,
        )

    if threads == 1:
        return [work(slice(None))]
    return list(_executor(threads).map(work, [slice(t, None, threads) for t in range(threads)]))


def bounded_dijkstra(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    start_node: np.ndarray,
    start_cost: np.ndarray,
    limit: float,
    source_id: np.ndarray | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`bounded_dijkstra_parts` as one set of COO triplets ``(source, node, metres)``."""
    parts = bounded_dijkstra_parts(
        indptr, indices, weights, start_node, start_cost, limit, source_id=source_id, threads=threads
    )
    if len(parts) == 1:
        return parts[0]
    source, node, metres = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return source, node, metres


def compile_kernel() -> float:
    """Compile (or load from numba's on-disk cache) the kernel for the types the walk engine uses.

    Returns the seconds it took (0 when numba is missing).
    """
    if not AVAILABLE:
        return 0.0
    t0 = time.perf_counter()
    indptr, indices, weights = csr_arrays(np.array([0, 1, 2]), np.array([1, 0]), np.array([1.0, 1.0]))
    bounded_dijkstra(indptr, indices, weights, np.array([[0, -1]]), np.zeros((1, 2)), 5.0, threads=1)
    return time.perf_counter() - t0
