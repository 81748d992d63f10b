"""Telling members: in-app notifications and e-mail."""
