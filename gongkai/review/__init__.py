"""The periodic content review: what to look at again (review tasks) and the personal-data scan of
published text.
"""
