"""Discord adapter: discord.py client, slash commands and buttons translating to the core use cases."""
