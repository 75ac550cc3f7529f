"""Every executor kind runs the same jobs and returns their results in the jobs' order."""

from __future__ import annotations

import pytest

from optimizer.executor import make_executor


def _square(v: int) -> int:
    return v * v


@pytest.mark.parametrize("kind", ["inprocess", "pool"])
def test_executors_return_results_in_job_order(kind) -> None:
    seen = []
    with make_executor(kind, workers=2) as ex:
        out = ex.map(_square, range(7), progress=lambda done, total: seen.append((done, total)))
    assert out == [v * v for v in range(7)]
    assert seen[-1] == (7, 7) and len(seen) == 7


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown executor 'threads': one of inprocess, pool, dask"):
        with make_executor("threads"):
            pass


def test_the_pool_spawns_its_workers() -> None:
    """Forked workers hang once HiGHS has run in the parent (its thread pool is copied mid-state)."""
    from optimizer.executor import Pool

    with Pool(workers=1) as pool:
        assert pool._pool is not None and pool._pool._mp_context.get_start_method() == "spawn"
