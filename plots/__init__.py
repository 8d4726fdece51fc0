"""Briefing charts for docket runs (see issue: chart pack). Nothing here is imported by ``sim``."""
