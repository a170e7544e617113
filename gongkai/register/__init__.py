"""The request register: the working-day calendar, the statutory clock of an application, the
repository (reads and writes with the session passed in) and the register import.
"""
