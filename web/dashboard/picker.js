// The server picker: servers you may manage where the bot is, then the others you manage with
// an "add the bot" link. The list comes from /auth/guilds (your Discord guild list, which only
// draws this page; every API request is decided again by the bot).

import { get } from "./api.js";
import { fill, h } from "./ui.js";

/** An entry of /auth/guilds: {id, name, access: "write" | "read"} or, for a server
 * without the bot, {id, name, add_bot_url}. Icons are not shown: they live on Discord's CDN,
 * and the dashboard loads nothing from another site. */
const shape = (g) => ({
  id: String(g.id),
  name: g.name || String(g.id),
  canManage: g.access === "write",
  addBotUrl: g.add_bot_url || null,
});

export async function render(main) {
  const answer = await get("/auth/guilds");
  const ready = (answer.guilds || []).map(shape);
  const absent = (answer.others || []).map(shape);
  const card = (g, action) =>
    h("li", { class: "server", "data-guild-id": g.id },
      h("span", { class: "server-name" }, g.name), action);
  fill(
    main,
    h("h1", {}, "Your servers"),
    ready.length
      ? h("ul", { class: "servers", "aria-label": "Servers you can manage or view" },
        ready.map((g) => card(g, h("a", { class: "button primary", href: `/guilds/${g.id}` },
          g.canManage ? `Manage ${g.name}` : `View ${g.name}`))))
      : h("p", { class: "empty", id: "no-servers" },
          "There is no server here you can manage with Cadence. You need to be the owner, " +
          "an Administrator, have Manage Server or the server's Cadence manager or viewer " +
          "role, in a server where the bot is."),
    absent.length ? h("h2", {}, "Servers without Cadence") : null,
    absent.length
      ? h("ul", { class: "servers", "aria-label": "Servers you manage without Cadence" },
        absent.map((g) => card(g, h("a", { class: "button", href: g.addBotUrl },
          `Add Cadence to ${g.name}`))))
      : null,
  );
}
