"""Slack adapter: slack-bolt AsyncApp (HTTP or Socket Mode) translating to the core use cases."""
