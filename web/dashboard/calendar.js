// The calendar: today and the 6 (or 29) local days after it, how busy each day is and what
// posts when, in the browser's local time. Built from each active task's /upcoming instants (at most 50 a task).

import { getAll, guildPath } from "./api.js";
import { upcoming } from "./shapes.js";
import { dayKey, fill, h, localZone } from "./ui.js";

const MAX_UPCOMING = 50;

export async function render(main, { guildId }) {
  const days = new URLSearchParams(location.search).get("days") === "30" ? 30 : 7;
  const tasks = await getAll(guildPath(guildId, "/tasks?status=active&limit=100"));
  const now = new Date();
  const until = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  const posts = [];
  const truncated = [];
  await Promise.all(tasks.map(async (task) => {
    const ahead = await upcoming(guildId, task.id, MAX_UPCOMING);
    for (const iso of ahead) {
      const at = new Date(iso);
      if (at >= now && at < until) posts.push({ at, iso, task });
    }
    // /upcoming gives at most 50: a task still inside the window at its 50th is cut short.
    if (ahead.length === MAX_UPCOMING && new Date(ahead[ahead.length - 1]) < until) {
      truncated.push(task.name);
    }
  }));
  posts.sort((a, b) => a.at - b.at);
  const byDay = new Map();
  for (let i = 0; i < days; i++) {
    byDay.set(dayKey(new Date(now.getFullYear(), now.getMonth(), now.getDate() + i)), []);
  }
  for (const post of posts) byDay.get(dayKey(post.at))?.push(post);
  const busiest = Math.max(1, ...[...byDay.values()].map((p) => p.length));
  const toggle = (n) => h("a", { class: "button", href: `?days=${n}`,
    "aria-current": n === days ? "page" : null }, `Next ${n} days`);
  fill(main,
    h("h1", {}, `Calendar: the next ${days} days`),
    h("p", { class: "hint" }, `${posts.length} posts ahead, in your local time (${localZone()}).`),
    h("div", { class: "row" }, toggle(7), toggle(30)),
    truncated.length
      ? h("p", { class: "hint", id: "truncated" }, `Only the next ${MAX_UPCOMING} posts of ` +
        `${truncated.sort().join(", ")} are shown; it posts more often in this period.`)
      : null,
    h("ol", { class: `calendar days-${days}`, "aria-label": "Days" },
      [...byDay.entries()].map(([key, list]) => day(key, list, busiest, guildId))));
}

function day(key, list, busiest, guildId) {
  const [y, m, d] = key.split("-").map(Number);
  const date = new Date(y, m - 1, d);
  const label = date.toLocaleDateString(undefined, { weekday: "short", day: "numeric",
    month: "short" });
  const level = list.length === 0 ? 0 : Math.ceil((list.length / busiest) * 4);
  const bar = h("span", { class: "busy-bar", "aria-hidden": "true" });
  bar.style.width = `${(list.length / busiest) * 100}%`;
  return h("li", { class: `day busy-${level}`, "data-day": key },
    h("h2", {}, label, " ", h("span", { class: "count" },
      list.length === 1 ? "1 post" : `${list.length} posts`)),
    bar,
    list.length
      ? h("ul", {}, list.map((p) => h("li", {},
        h("time", { datetime: p.iso }, p.at.toLocaleTimeString(undefined,
          { hour: "2-digit", minute: "2-digit" })),
        " ", h("a", { href: `/guilds/${guildId}/tasks/${p.task.id}` }, p.task.name))))
      : h("p", { class: "hint" }, "Nothing posts."));
}
