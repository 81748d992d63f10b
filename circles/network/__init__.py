"""A member's developmental network and the community's: ties, history, words, outside
contacts and introductions."""
