"""Named random streams: common random numbers across scenarios, chunks and workers.

Every source of randomness has a name (``measure:tiktok_app_store:deferral``, ``event:oracle_deal:date``,
``param:populations.tiktok_users.outflow``). Its draws for replication ``r`` come from
``SeedSequence(seed, spawn_key=(stable_hash(name), r // BLOCK))``: they depend only on the seed, the name and
the replication number. So adding or removing a measure leaves every other stream's draws unchanged, and a
run split into chunks or over workers gives bit-identical results. Nothing uses global random state.
"""

from __future__ import annotations

import hashlib
from typing import Final

import numpy as np
import numpy.typing as npt

BLOCK: Final = 1024
"""Replications per seeding block; fixed forever, since changing it changes every draw."""


def stable_hash(name: str) -> int:
    """A 63-bit hash of a stream name that does not change between Python runs (unlike ``hash``).

    Example:
        >>> stable_hash("event:deal") == stable_hash("event:deal")
        True
    """
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little") >> 1


class Streams:
    """Uniform draws in (0, 1) per named stream and replication.

    Example:
        >>> s = Streams(seed=1)
        >>> a = s.uniform("event:deal", 0, 10, 2)
        >>> b = s.uniform("event:deal", 5, 10, 2)
        >>> bool((a[5:] == b).all()), a.shape
        (True, (10, 2))
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._cache: dict[tuple[str, int, int], npt.NDArray[np.float64]] = {}

    def _block(self, name: str, block: int, width: int) -> npt.NDArray[np.float64]:
        key = (name, block, width)
        if key not in self._cache:
            seq = np.random.SeedSequence(self.seed, spawn_key=(stable_hash(name), block))
            gen = np.random.Generator(np.random.PCG64(seq))
            # Column-major, so widening a stream (a higher cap on extensions) keeps its earlier columns;
            # (0, 1) open interval, so inverse CDFs never see 0 exactly.
            draws = gen.random((width, BLOCK)).T
            self._cache[key] = np.where(draws == 0.0, np.nextafter(0.0, 1.0), draws)
            if len(self._cache) > 4096:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    def uniform(self, name: str, start: int, stop: int, width: int = 1) -> npt.NDArray[np.float64]:
        """``(stop - start, width)`` uniforms of stream ``name`` for replications ``start .. stop - 1``."""
        if stop <= start:
            return np.empty((0, width))
        parts = []
        for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
            lo = max(start, block * BLOCK) - block * BLOCK
            hi = min(stop, (block + 1) * BLOCK) - block * BLOCK
            parts.append(self._block(name, block, width)[lo:hi])
        return np.concatenate(parts, axis=0)
