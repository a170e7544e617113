"""Desk accounts: Argon2 password hashes (argon2-cffi, never a home-made scheme), the sign-in check with its
temporary lock after repeated failures, and the password rule. The desk's sessions are stored by
:mod:`gongkai.accounts.sessions`."""
