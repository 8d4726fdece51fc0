"""Testing scenarios: expectations with Monte Carlo error, baselines, the suite, the pytest plugin.
"""
