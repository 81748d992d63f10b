"""The demo community a newcomer sees on first run."""
