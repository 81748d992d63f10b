"""A cheap password hash for tests that are not about hashing.

scrypt costs about 60 ms of CPU a hash by design, and the suite signs up and logs in
thousands of times: in-process (the ``_fast_password_hashing`` fixture) and in the live
servers and CLI commands forked from the zygote (``tests/support/zygote.py``). Both use this
one. A test marked ``real_password_hash`` keeps scrypt in process; a forked command keeps it
when its environment has ``CIRCLES_TEST_REAL_PASSWORD_HASH=1``.
"""

from __future__ import annotations

from werkzeug.security import generate_password_hash

CHEAP_METHOD = "pbkdf2:sha256:1000"
#: Set in a forked command's environment to keep production hashing.
REAL_HASH_ENV = "CIRCLES_TEST_REAL_PASSWORD_HASH"


def cheap_password_hash(password: str) -> str:
    return generate_password_hash(password, method=CHEAP_METHOD)


def use_cheap_hashing() -> None:
    """Make ``circles.members.accounts`` hash new passwords cheaply in this process (checking
    a stored hash follows the method it names)."""
    from circles.members import accounts

    accounts.generate_password_hash = cheap_password_hash  # type: ignore[assignment]
