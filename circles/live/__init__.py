"""The live room: its rules, phases, agenda, feedback, notes, presence, event log, snapshot
and the server processes that hold its connections."""
