"""Proactive disclosure: items (``items``; their Art. 26 dates from :mod:`gongkai.register.deadlines`), the
catalogue import (``itemimport``) and an item's JSON view (``itemview``), the catalogue and guide documents, the
quarterly catalogue update (which withholds what the content review's personal-data scan finds until an outcome is
recorded: the catalogue stands above the review).
"""
