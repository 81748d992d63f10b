"""Bulk onboarding: a facilitator's CSV of members, memberships and ties, checked then imported."""
