"""Real-browser tests: Playwright drives Debian's Chromium against a live Circles server."""
