"""Operator tooling behind manage.py. Not shipped to Lambda (chalicelib is)."""
