"""What members grow between sessions: goals, commitments, journal and pulse."""
