"""The annual report (2021 format): statistics from the register, the checks, yearly figures, the
narrative, stored versions and the documents (HTML, DOCX, PDF, chart).
"""
