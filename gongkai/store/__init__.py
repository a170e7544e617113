"""Persistence: the data model (SQLModel tables), the database engine and sessions, Alembic migrations,
the record of scheduled periods done, and the register's kind (demo or live).
"""
