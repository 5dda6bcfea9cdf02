"""VibeTrading MCP server."""
