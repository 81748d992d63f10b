"""Members: accounts, profiles, weekly availability, topics, their data export and erasure."""
