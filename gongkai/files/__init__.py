"""Files staff give and get: reading CSV/XLSX tables, the one import engine for them (``tableimport``:
header, cells, limits, error list; the register and the items describe their columns), the one Jinja2
environment (templates the office can override), plain-text terminal tables.
"""
