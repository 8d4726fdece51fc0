"""Studies of many runs: paired comparisons, sweeps (grids and sampled designs), sensitivity.
"""
