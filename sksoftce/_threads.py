"""BLAS threads during full-batch fits, shared by all fits of the process.

Each OpenBLAS keeps its threads spinning for a while after a call. SciPy's wheels
bring an OpenBLAS of their own besides NumPy's, and SciPy's L-BFGS-B runs its vector
operations on it between two evaluations of the objective: with both libraries
threaded on two cores, the objective's products lose half the machine (measured:
31 ms per evaluation alone, 55 ms inside L-BFGS-B). One thread suffices for the
solver's vector operations on ``n_params`` entries (:data:`OTHER_BLAS`).

An evaluation over many blocks of rows can take NumPy's BLAS threads for itself
(:data:`ALL_BLAS`): one Python thread per BLAS thread, each running the whole
forward and backward pass of its blocks with single-threaded BLAS. The work between
the matrix products (activations, softmax, loss) then runs in parallel too.
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController


@functools.cache
def _blas_libraries(others_only):
    """threadpoolctl controller of NumPy's and SciPy's BLAS, or of all but NumPy's.

    None where there is nothing to control (one BLAS only, for ``others_only``; a
    BLAS threadpoolctl does not know).
    """
    controller = ThreadpoolController()
    blas = [
        lib.filepath for lib in controller.lib_controllers if lib.user_api == "blas"
    ]
    if others_only:
        blas = [path for path in blas if "numpy" not in path] if len(blas) > 1 else []
    return controller.select(filepath=blas) if blas else None


class _SharedLimit:
    """One thread for some BLAS libraries while any fit in the process needs it.

    threadpoolctl's ``limit`` context restores the limits it found on entry, which
    is wrong when fits in several threads overlap: the last to leave would restore
    the limit of 1 set by another. A count shared by all threads sets the limit
    when the first fit enters and restores the original limits when the last one
    leaves.

    Entering returns the largest number of threads the libraries had just before
    (1 when another fit already holds the limit, or none is known).
    """

    def __init__(self, others_only):
        self._others_only = others_only
        self._lock = threading.Lock()
        self._users = 0
        self._limiter = None

    def __enter__(self):
        with self._lock:
            libraries = _blas_libraries(self._others_only)
            threads = 1
            if libraries is not None:
                threads = max(
                    (lib.num_threads for lib in libraries.lib_controllers), default=1
                )
            if self._users == 0 and libraries is not None:
                self._limiter = libraries.limit(limits=1)
            self._users += 1
            return threads

    def __exit__(self, *exc_info):
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


#: SciPy's BLAS (and any other besides NumPy's) single-threaded during a fit.
OTHER_BLAS = _SharedLimit(others_only=True)
#: Every BLAS single-threaded: the fit's own threads take their place.
ALL_BLAS = _SharedLimit(others_only=False)


@contextmanager
def lend_blas_threads(objective):
    """Inside: BLAS single-threaded and ``objective`` in as many threads as it had.

    Only for an objective that can use them (``objective.threadable``); others run
    unchanged, with BLAS as it was.
    """
    if not getattr(objective, "threadable", False):
        yield
        return
    with ALL_BLAS as n_threads, objective.threads(n_threads):
        yield
