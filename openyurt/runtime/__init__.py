"""Runtime: asyncio daemons wiring informers to planners to adapters, and the CLI."""
