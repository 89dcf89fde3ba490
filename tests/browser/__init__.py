"""Real-browser tests of the explorer: Playwright for Python driving Debian's Chromium."""
