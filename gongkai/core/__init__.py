"""The ground every other package stands on: errors, fixed vocabularies and codes, date spellings, the
wall-clock seam, ID numbers, web addresses and the office's settings. Imports nothing else of Gongkai.
"""
