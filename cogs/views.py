"""Interactive pieces: the message modal, delete confirmation buttons and list paging.

Every button and modal runs `ensure_manager` again: a crafted click cannot skip the check.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import discord

from cogs.common import ensure_manager, handle_error
from scheduler.messages import MessageDraft

log = logging.getLogger(__name__)

DraftHandler = Callable[[discord.Interaction, MessageDraft], Awaitable[None]]


class MessageModal(discord.ui.Modal):
    """Up to five inputs (content, embed title, description, footer, image URL); holds line
    breaks, which slash options cannot."""

    def __init__(self, on_submit: DraftHandler, *, title: str, draft: MessageDraft | None = None):
        super().__init__(title=title[:45], timeout=900)
        self._on_submit = on_submit
        draft = draft or MessageDraft()
        self.content: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            label="Message",
            style=discord.TextStyle.paragraph,
            required=False,
            custom_id="content",
            max_length=2000,
            default=draft.content or None,
            placeholder="What to post. Leave empty to post only an embed.",
        )
        self.embed_title: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            label="Embed title",
            required=False,
            max_length=256,
            default=draft.title or None,
            custom_id="title",
        )
        self.description: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            label="Embed description",
            style=discord.TextStyle.paragraph,
            required=False,
            custom_id="description",
            max_length=4000,
            default=draft.description or None,
        )
        self.footer: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            label="Embed footer",
            required=False,
            max_length=2048,
            default=draft.footer or None,
            custom_id="footer",
        )
        self.image_url: discord.ui.TextInput[MessageModal] = discord.ui.TextInput(
            label="Embed image URL",
            required=False,
            max_length=1000,
            custom_id="image_url",
            default=draft.image_url or None,
            placeholder="https://…",
        )
        self._color = draft.color
        for item in (self.content, self.embed_title, self.description, self.footer, self.image_url):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await ensure_manager(interaction)
        draft = MessageDraft(
            content=self.content.value.strip(),
            title=self.embed_title.value.strip(),
            description=self.description.value.strip(),
            footer=self.footer.value.strip(),
            image_url=self.image_url.value.strip(),
            color=self._color,
        )
        await self._on_submit(interaction, draft.validate())

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await handle_error(interaction, error, "the message modal")


class ConfirmView(discord.ui.View):
    """Two buttons; only the member who asked may press them."""

    def __init__(
        self,
        author_id: int,
        on_confirm: Callable[[discord.Interaction], Awaitable[None]],
        *,
        confirm_label: str = "Delete",
    ) -> None:
        super().__init__(timeout=120)
        self._author_id = author_id
        self._on_confirm = on_confirm
        self.confirm.label = confirm_label

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await ensure_manager(interaction)
        if interaction.user.id != self._author_id:
            await interaction.response.send_message(
                "Only the member who asked can answer this.", ephemeral=True
            )
            return False
        return True

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger, custom_id="confirm")
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]):
        self.stop()
        await self._on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="cancel")
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]):
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled; nothing was changed.", embed=None, view=None
        )

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[ConfirmView]
    ) -> None:
        await handle_error(interaction, error, "a confirmation button")


class PagerView(discord.ui.View):
    """Previous/next buttons over pre-built pages (each one or more embeds).

    `prefix` keeps the custom ids of different pagers apart (`prev`/`next`, `sum_prev`/...).
    """

    def __init__(
        self,
        pages: Sequence[discord.Embed | Sequence[discord.Embed]],
        author_id: int,
        *,
        prefix: str = "",
    ) -> None:
        super().__init__(timeout=600)
        self._pages = [[page] if isinstance(page, discord.Embed) else list(page) for page in pages]
        self._index = 0
        self._author_id = author_id
        self.previous.custom_id = f"{prefix}prev"
        self.next.custom_id = f"{prefix}next"
        self._sync()

    @property
    def first(self) -> list[discord.Embed]:
        return self._pages[0]

    def _sync(self) -> None:
        self.previous.disabled = self._index == 0
        self.next.disabled = self._index >= len(self._pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await ensure_manager(interaction)
        return True

    async def _show(self, interaction: discord.Interaction, step: int) -> None:
        self._index = max(0, min(len(self._pages) - 1, self._index + step))
        self._sync()
        await interaction.response.edit_message(embeds=self._pages[self._index], view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary, custom_id="prev")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[PagerView]):
        await self._show(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary, custom_id="next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[PagerView]):
        await self._show(interaction, 1)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[PagerView]
    ) -> None:
        await handle_error(interaction, error, "a page button")
