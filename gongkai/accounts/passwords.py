"""Passwords: hashed with Argon2id by argon2-cffi's :class:`~argon2.PasswordHasher` (its RFC 9106 low-memory
profile), checked in constant time by the library, re-hashed when the parameters change.

A password is never stored, logged or shown; only its hash is kept, in ``account``.
"""

from __future__ import annotations

from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gongkai.core.errors import InputError

MIN_LENGTH: Final = 10
MAX_LENGTH: Final = 128

_hasher: Final = PasswordHasher()
# Verified against when the account does not exist, so an unknown id takes as long as a wrong password.
_DUMMY_HASH: Final = _hasher.hash("gongkai-no-such-account")


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (salted by the library)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (``None``: no account; checked against a dummy hash)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's (re-hash after a successful sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)


def check_new_password(staff_id: str, password: str) -> None:
    """The rule for a new password (Chinese :class:`InputError` naming what is wrong): 10 to 128 characters, not
    the person's id, not one repeated character."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"密码太短：至少 {MIN_LENGTH} 个字符（现为 {len(password)} 个）。")
    if len(password) > MAX_LENGTH:
        raise InputError(f"密码太长：最多 {MAX_LENGTH} 个字符。")
    if password.strip() != password:
        raise InputError("密码的开头或结尾不能是空格。")
    if staff_id.lower() in password.lower():
        raise InputError("密码不能包含本人的人员标识。")
    if len(set(password)) < 4:
        raise InputError("密码过于简单：至少要有 4 个不同的字符。")
