"""The discord-side rules both doors share: the slash commands (`cogs/`) and the web API
(`web/`) import this package, never each other. It may use discord.py's objects of the
running bot; the rules that need none are below it, in `scheduler/`."""
