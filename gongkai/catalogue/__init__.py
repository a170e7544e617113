"""Proactive disclosure: items and their Art. 26 dates (``items``), the catalogue import (``itemimport``)
and an item's JSON view (``itemview``), the catalogue and guide documents, the quarterly catalogue update.
"""
