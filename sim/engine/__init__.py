"""The engine: named random streams and draws, the SimPy lifecycle of measures, in-force timelines as
coefficients, the exact solver, and one chunk of replications. No pandas, no files.
"""
