"""Gongkai: the open-government-information (政府信息公开) work of a local office.

This package is the domain: working days, statutory clocks, the register, report statistics,
settings and the command line. It never imports Prefect; ``flows/`` and ``tasks/`` wrap it.
"""

__version__ = "0.1.0"
