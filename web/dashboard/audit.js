// The audit log: who changed what, when, and through which door (slash command, API token,
// dashboard), newest first, a page at a time.

import { get, guildPath } from "./api.js";
import { fill, h, timeEl } from "./ui.js";

export async function render(main, { guildId }) {
  const body = h("tbody");
  const more = h("button", { type: "button" }, "Show more");
  let cursor = null;
  const load = async () => {
    const page = await get(guildPath(guildId, `/audit?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
    for (const e of page.items || []) {
      body.append(h("tr", {},
        h("td", {}, timeEl(e.at ?? e.created_at ?? e.when)),
        h("td", {}, e.actor_name ?? (e.actor_id ? `user ${e.actor_id}` : "Cadence")),
        h("td", {}, e.action ?? e.kind ?? ""),
        h("td", {}, e.task_name ?? (e.task_id ? `task ${e.task_id}` : "")),
        h("td", {}, h("code", {}, e.detail ? JSON.stringify(e.detail) : ""))));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", load);
  fill(main, h("h1", {}, "Audit log"),
    h("table", { class: "audit" }, h("caption", { class: "visually-hidden" }, "Audit entries"),
      h("thead", {}, h("tr", {}, ["When", "Who", "What", "Task", "Detail"].map((t) =>
        h("th", { scope: "col" }, t)))), body),
    more);
  await load();
  if (!body.children.length) main.append(h("p", { class: "empty" }, "Nothing audited yet."));
}
