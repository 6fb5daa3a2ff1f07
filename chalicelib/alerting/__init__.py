"""The alert pipeline and its schedules: a sign-in from parse to a posted message, the
burst sweep, the daily digest. The one package that joins `judge`, `store` and `slack`."""
