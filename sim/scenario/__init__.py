"""The scenario language: strict YAML with positions, extends/variants/--set patching, quantities, the
calendar, distributions, the schema, cross-field checks and diagnostics. Imports nothing else of ``sim``.
"""
