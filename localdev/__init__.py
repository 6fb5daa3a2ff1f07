"""Local stand-ins for the outside world, for tests, benchmarks and `make demo`:
a Slack sink on 127.0.0.1 and a moto server. None of this ships to Lambda."""
