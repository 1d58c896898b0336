"""Running workers on a remote GPU host: the SSH transport (the system's OpenSSH client)."""
