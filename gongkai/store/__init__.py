"""Persistence: the data model (SQLModel tables) and their typed table handles (``tables``, declared once), the
database engine and sessions, Alembic migrations, the record of scheduled periods done, and the register's kind
(demo or live).
"""
