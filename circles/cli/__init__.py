"""The ``flask`` commands."""
