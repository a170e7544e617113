"""The request register: the working-day calendar, the statutory clocks (an application's, and a proactive
item's Art. 26 period), the repository (reads and writes with the session passed in) and the register import.
"""
