"""Prefect flows: one module per scheduled process (deadline reminders, catalogue update, content
review, annual report). Flows narrate; the decisions live in :mod:`gongkai`."""
