"""Running the bot as a service: logging (redaction, JSON), metrics and the health/metrics HTTP endpoint."""
