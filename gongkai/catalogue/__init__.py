"""Proactive disclosure: items and their Art. 26 dates, the catalogue and guide documents, the
quarterly catalogue update.
"""
