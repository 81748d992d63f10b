"""Sessions of a circle: scheduling, rotating roles, calendar files and reminders."""
