"""Parent-side supervision of worker processes (no Qt): the CLI and the window start workers here."""
