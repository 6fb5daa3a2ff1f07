"""The watchdog: signin-alerts checks its own pipeline and says when it cannot see."""
