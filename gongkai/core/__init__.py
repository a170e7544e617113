"""The ground every other package stands on: errors, fixed vocabularies and codes (the Art. 20 categories
among them), the messages Gongkai sends as data (kinds, planned reminders, digest rules), date spellings, the
wall-clock seam, ID numbers, web addresses, the office's settings, its working folder and database address (home)
and where the shipped files (templates, the demo configuration) are. Imports nothing else of Gongkai.
"""
