// The server picker: servers you may manage where the bot is, then the others you manage with
// an "add the bot" link. The list comes from /auth/guilds (your Discord guild list, which only
// draws this page; every API request is decided again by the bot).

import { get } from "./api.js";
import { fill, h } from "./ui.js";

/** One entry of /auth/guilds, whatever the server names its fields. */
function shape(g) {
  return {
    id: String(g.id),
    name: g.name || g.id,
    iconUrl: g.icon_url || null,
    botPresent: g.bot_present ?? g.bot_in_guild ?? g.has_bot ?? true,
    canManage: g.can_manage ?? g.manageable ?? g.can_write ?? true,
    canView: g.can_view ?? g.can_read ?? true,
    addBotUrl: g.add_bot_url || g.invite_url || null,
  };
}

export async function render(main) {
  const answer = await get("/auth/guilds");
  const guilds = (Array.isArray(answer) ? answer : answer.items || answer.guilds || []).map(shape);
  const ready = guilds.filter((g) => g.botPresent && (g.canManage || g.canView));
  const absent = guilds.filter((g) => !g.botPresent && g.canManage);
  const card = (g, action) =>
    h(
      "li",
      { class: "server" },
      g.iconUrl ? h("img", { src: g.iconUrl, alt: "", width: 32, height: 32 }) : null,
      h("span", { class: "server-name" }, g.name),
      action,
    );
  fill(
    main,
    h("h1", {}, "Your servers"),
    ready.length
      ? h(
          "ul",
          { class: "servers", "aria-label": "Servers you can manage" },
          ready.map((g) =>
            card(
              g,
              h("a", { class: "button", href: `/guilds/${g.id}` },
                g.canManage ? `Manage ${g.name}` : `View ${g.name}`),
            ),
          ),
        )
      : h("p", { class: "empty" },
          "There is no server here you can manage with Cadence. You need to be the owner, " +
          "an Administrator, have Manage Server or the server's Cadence manager or viewer " +
          "role, in a server where the bot is."),
    absent.length ? h("h2", {}, "Servers without Cadence") : null,
    absent.length
      ? h("ul", { class: "servers" },
          absent.map((g) =>
            card(g, g.addBotUrl
              ? h("a", { class: "button", href: g.addBotUrl }, `Add the bot to ${g.name}`)
              : h("span", {}, "The bot is not in this server."))))
      : null,
  );
}
