"""Tests of running on a remote GPU host over SSH, against a real OpenSSH server."""
