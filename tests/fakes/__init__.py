"""Hand-written loopback stand-ins for the platforms (importable by tests and bench/)."""
