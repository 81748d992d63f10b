"""Communities and their circles: joining, roles, membership, and ending a circle."""
