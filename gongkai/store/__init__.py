"""Persistence: the data model (SQLModel tables) and their typed table handles (``tables``, declared once), the
database engine and sessions, Alembic migrations, the record of scheduled periods done, the register's kind
(demo or live, with the demo data's marker) and the year lock (a final report's year keeps its data).
"""
