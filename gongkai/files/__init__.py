"""Files staff give and get: reading CSV/XLSX tables, the one Jinja2 environment (templates the office
can override), plain-text terminal tables.
"""
