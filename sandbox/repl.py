"""The sandbox prompt: slash commands typed as in Discord, answers and posts printed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TextIO

from fakediscord import FakeDiscord
from fakediscord.interactions import Interaction
from fakediscord.options import InteractionRefused
from sandbox.parse import CommandLineError, convert, describe_command, leaf_commands, parse_line
from sandbox.render import Names, component_lines, components, message_lines, select_options

ReadLine = Callable[[str], Awaitable[str | None]]

HELP = """Commands:
  /schedule ... or /scheduler ...   a slash command, typed as in Discord
                                    (options as name:value; quote values with spaces or not)
  help [command]                    list the commands, or one command's options
  click N                           press button N of the last answer
  select N a b ...                  choose options a, b, ... of select menu N
  wait SECONDS                      let time pass (posts keep arriving)
  quit                              stop the sandbox"""


class Repl:
    """One person ("you") talking to Cadence through the local Discord."""

    def __init__(self, fd: FakeDiscord, guild: Any, you: Any, out: TextIO, read: ReadLine) -> None:
        self.fd = fd
        self.guild = guild
        self.you = you
        self.out = out
        self.read = read
        self.names = Names(guild, lambda: datetime.now(UTC))
        self.last: Any = None  # the stored message whose components `click` refers to
        self._seen: set[int] = {m.id for m in fd.all_posts(include_ephemeral=True)}

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out)
        self.out.flush()

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        watcher = asyncio.create_task(self._watch_posts())
        try:
            while True:
                line = await self.read("> ")
                if line is None:
                    break
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line in ("quit", "exit"):
                    break
                try:
                    await self.handle(line)
                except (CommandLineError, InteractionRefused) as exc:
                    self.say(f"! {exc}")
                except TimeoutError:
                    self.say("! The bot did not answer in time.")
        finally:
            await asyncio.sleep(0.2)
            self._print_new_posts()
            watcher.cancel()

    async def handle(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "help":
            self.say(self.help(rest.strip()))
        elif word == "wait":
            await asyncio.sleep(_number(rest, "wait takes a number of seconds, e.g. wait 10"))
        elif word == "click":
            await self.click(rest)
        elif word == "select":
            await self.select(rest)
        elif line.startswith("/"):
            await self.slash(line)
        else:
            raise CommandLineError(f"“{word}” is not a sandbox command. Type help.")

    def tree(self) -> list[dict[str, Any]]:
        return self.fd.commands.commands(self.guild.id) + self.fd.commands.commands(None)

    def help(self, topic: str) -> str:
        leaves = leaf_commands(self.tree())
        if topic:
            wanted = topic.lstrip("/")
            for path, leaf in leaves:
                if path == wanted:
                    return describe_command(path, leaf)
            raise CommandLineError(f"No command /{wanted}. Type help for the list.")
        listing = "\n".join(f"  /{path}: {leaf.get('description', '')}" for path, leaf in leaves)
        return f"{HELP}\n\nSlash commands:\n{listing}"

    # ------------------------------------------------------------------ actions

    async def slash(self, line: str) -> None:
        parsed = parse_line(line, self.tree())
        options = convert(parsed, self.guild)
        handle = await self.fd.slash(
            self.guild, self.you, parsed.path, in_channel=self._here(), **options
        )
        await self.show(handle)

    async def click(self, rest: str) -> None:
        item = self._component(rest.split()[:1], 2)
        handle = await self.fd.click(self.you, self.last, item["custom_id"])
        await self.show(handle)

    async def select(self, rest: str) -> None:
        words = rest.split()
        item = self._component(words[:1], 3, 5, 6, 7, 8)
        offered = select_options(item, self.guild)
        values = []
        for word in words[1:]:
            index = int(_number(word, "select takes option numbers")) - 1
            if not 0 <= index < len(offered):
                raise CommandLineError(f"Option {word} does not exist; there are {len(offered)}.")
            values.append(offered[index][1])
        if not values:
            raise CommandLineError("Choose at least one option: select N a b ...")
        handle = await self.fd.select(self.you, self.last, item["custom_id"], values)
        await self.show(handle)

    def _component(self, words: list[str], *types: int) -> dict[str, Any]:
        if self.last is None:
            raise CommandLineError("There is nothing to click: no answer with buttons yet.")
        items = components({"components": self.last.components})
        if not words:
            raise CommandLineError("Which one? e.g. click 1")
        index = int(_number(words[0], "Give the number shown in [brackets].")) - 1
        if not 0 <= index < len(items) or items[index]["type"] not in types:
            raise CommandLineError(f"[{words[0]}] is not a {'button' if 2 in types else 'menu'}.")
        return items[index]

    # ------------------------------------------------------------------ answers

    async def show(self, handle: Interaction) -> None:
        callback = await handle.response(timeout=10)
        if not callback.accepted:
            self.say(f"! Discord refused the bot's answer (code {callback.error_code}).")
            return
        data = callback.data or {}
        if callback.type == 9:
            await self._fill_modal(handle, data)
            return
        if callback.type == 5:  # "thinking": the first followup replaces it
            await handle.wait_done(timeout=30)
            message = handle.followups[0] if handle.followups else handle.original
            if message is not None:
                self._print_message(
                    message.__dict__, ephemeral=bool(message.flags & 64), stored=message
                )
            return
        if callback.type == 6:
            await handle.wait_done(timeout=15)
            updated = handle.followups[-1] if handle.followups else handle.message
            if updated is not None:
                self._print_message(
                    updated.__dict__, ephemeral=bool(updated.flags & 64), stored=updated
                )
            return
        stored = handle.original if callback.type == 4 else handle.message
        self._print_message(
            data, ephemeral=callback.ephemeral or bool(stored and stored.flags & 64), stored=stored
        )

    def _print_message(self, data: dict[str, Any], *, ephemeral: bool, stored: Any) -> None:
        self._print_new_posts()  # posts made while answering come before the answer
        marker = " (only you can see this)" if ephemeral else ""
        self.say(f"Cadence{marker}:", *message_lines(data, self.names))
        items = components(data)
        if items:
            self.last = stored
            self.say(*component_lines(items, self.names, self.guild))
        if stored is not None:
            self._seen.add(stored.id)

    async def _fill_modal(self, handle: Interaction, data: dict[str, Any]) -> None:
        self.say(
            f"Form: {data.get('title', '')} (type each field; \\n for a line break; "
            "an empty line keeps it empty)"
        )
        values: dict[str, str] = {}
        for field in _text_inputs(data.get("components") or []):
            need = "" if not field.get("required", True) else " (required)"
            default = field.get("value") or ""
            shown = f" [{default[:40]}]" if default else ""
            answer = await self.read(f"  {field['label']}{need}{shown}: ")
            text = (answer or "").rstrip("\n")
            values[field["custom_id"]] = text.replace("\\n", "\n") if text else default
        submitted = await self.fd.submit_modal(handle, self.you, values, strict=False)
        await self.show(submitted)

    # ------------------------------------------------------------------ posts

    async def _watch_posts(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self._print_new_posts()

    def _print_new_posts(self) -> None:
        for message in self.fd.all_posts():
            if message.id in self._seen or message.source not in ("channel", "webhook"):
                continue
            self._seen.add(message.id)
            at = datetime.fromtimestamp(message.timestamp, UTC).strftime("%H:%M:%S")
            channel = self.guild.world.channel(message.channel_id)
            author = message.webhook_username or message.author.get("username", "?")
            self.say(
                f"[{at}] #{channel.name if channel else message.channel_id} {author}:",
                *message_lines(message.__dict__, self.names, indent="    "),
            )

    def _here(self) -> Any:
        return self.guild.channel_named("general")


def _text_inputs(rows: list[dict[str, Any]], label: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in rows:
        if item.get("type") == 4:
            found.append({**item, "label": item.get("label") or label or item["custom_id"]})
        inner = item.get("components") or ([item["component"]] if item.get("component") else [])
        found += _text_inputs(inner, item.get("label"))
    return found


def _number(text: str, message: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise CommandLineError(message) from None


async def read_stdin(prompt: str) -> str | None:
    """One line from standard input (a terminal with line editing, or a pipe)."""
    interactive = sys.stdin.isatty()
    loop = asyncio.get_running_loop()
    if interactive:
        try:
            return await loop.run_in_executor(None, input, prompt)
        except EOFError:
            return None
    line = await loop.run_in_executor(None, sys.stdin.readline)
    if not line:
        return None
    print(f"{prompt}{line.rstrip()}", flush=True)
    return line
