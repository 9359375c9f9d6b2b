"""discord.py extensions. `bot.py` loads those listed in `EXTENSIONS` (plus `EXTRA_EXTENSIONS`
from the settings); the other modules here are the Discord side of the engine's protocols."""

EXTENSIONS: tuple[str, ...] = (
    "cogs.lifecycle",
    "cogs.schedule",
    "cogs.scheduler_admin",
    "cogs.summaries",
)
