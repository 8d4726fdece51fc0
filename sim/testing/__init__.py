"""Testing scenarios: expectations with Monte Carlo error, baselines, the suite, the pytest plugin, and
``docket test`` as a pytest session with that plugin.
"""
