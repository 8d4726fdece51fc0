"""Runs: executors and the task cache, ``run()``, :class:`Results`, run folders and provenance, atomic
output folders, memory estimates.
"""
