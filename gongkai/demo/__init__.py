"""The demo office: a year of a sub-district office's disclosure work, generated on demand into an empty
register.
"""
