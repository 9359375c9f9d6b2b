// A server's tasks: filters (status, kind, channel) and search, each reflected in the address;
// next run in the browser's local time with the task's own zone named; status badges; pause,
// resume, run now, dry run and delete (which asks first).

import { getAll, guildPath, request } from "./api.js";
import { discordPreview } from "./composer.js";
import {
  announce, badge, confirmDialog, field, fill, h, localZone, timeEl, zoneTime,
} from "./ui.js";
import { channelLabel, destinationsText, KIND_WORDS, loadChannels } from "./shapes.js";

const STATUSES = ["active", "paused", "completed", "failed"];

export async function render(main, { guildId, canWrite = true }) {
  const channels = await loadChannels(guildId);
  const query = new URLSearchParams(location.search);
  const select = (name, label, options) =>
    field(
      label,
      h("select", { name, id: `filter-${name}` },
        h("option", { value: "" }, "any"),
        options.map(([value, text]) =>
          h("option", { value, selected: query.get(name) === value }, text))),
      { name },
    );
  const search = h("input", { type: "search", name: "q", id: "filter-q", value: query.get("q") || "",
    placeholder: "part of a name" });
  const filters = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter tasks" },
    select("status", "Status", STATUSES.map((v) => [v, v])),
    select("kind", "Kind", Object.entries(KIND_WORDS)),
    select("channel_id", "Channel", channels.map((c) => [c.id, `#${c.name}`])),
    field("Search", search, { name: "q" }),
  );
  const list = h("div", { id: "task-list", "aria-live": "polite" });
  fill(
    main,
    h("div", { class: "title-row" },
      h("h1", {}, "Tasks"),
      canWrite
        ? h("a", { class: "button primary", href: `/guilds/${guildId}/tasks/new` }, "New task")
        : null),
    h("p", { class: "hint" }, `Times are shown in your local time (${localZone()}).`),
    canWrite ? null : h("p", { class: "hint", id: "read-only" },
      "You may look at this server's schedule but not change it (viewer role)."),
    filters,
    list,
  );
  const reload = () => drawList(list, guildId, channels, new FormData(filters), canWrite);
  let timer;
  filters.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 200);
  });
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    reload();
  });
  await reload();
}

async function drawList(list, guildId, channels, form, canWrite) {
  const params = new URLSearchParams();
  for (const [key, value] of form.entries()) if (value) params.set(key, value);
  history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
  const tasks = await getAll(guildPath(guildId, `/tasks?limit=100&${params}`));
  if (!tasks.length) {
    return fill(list, h("p", { class: "empty" },
      params.size ? "No task matches these filters."
        : canWrite ? "No tasks yet. Make one with New task." : "No tasks yet."));
  }
  const redraw = () => drawList(list, guildId, channels, form, canWrite);
  fill(
    list,
    h("table", { class: "tasks" },
      h("caption", { class: "visually-hidden" }, "Tasks of this server"),
      h("thead", {}, h("tr", {},
        ["Name", "Schedule", "Posts to", "Next run", "Status", "Actions"].map((t) =>
          h("th", { scope: "col" }, t)))),
      h("tbody", {}, tasks.map((task) => row(task, guildId, channels, redraw, canWrite)))),
  );
}

function row(task, guildId, channels, redraw, canWrite) {
  const taskPath = guildPath(guildId, `/tasks/${task.id}`);
  const act = (label, handler, cls = "") =>
    h("button", { type: "button", class: cls, "aria-label": `${label} ${task.name}`,
      onclick: handler }, label);
  const action = async (verb, body, done) => {
    try {
      const answer = await request("POST", `${taskPath}/${verb}`, { body });
      announce(done(answer.body));
      if (verb !== "run" || !body.dry_run) await redraw();
    } catch (err) {
      announce(err.message, "error");
    }
  };
  const remove = async () => {
    if (!(await confirmDialog(`Delete the task “${task.name}”? This cannot be undone.`,
      "Delete"))) return;
    try {
      const current = await request("GET", taskPath);
      await request("DELETE", taskPath, { headers: { "If-Match": current.headers.get("ETag") } });
      announce(`Deleted “${task.name}”.`);
      await redraw();
    } catch (err) {
      announce(err.message, "error");
    }
  };
  const dryRun = async () => {
    try {
      const answer = await request("POST", `${taskPath}/run`, { body: { dry_run: true } });
      showDryRun(task, answer.body);
    } catch (err) {
      announce(err.message, "error");
    }
  };
  const paused = task.status === "paused";
  const zone = task.timezone;
  return h(
    "tr",
    { "data-task-id": task.id, "data-task-name": task.name },
    h("th", { scope: "row" }, h("a", { href: `/guilds/${guildId}/tasks/${task.id}` }, task.name)),
    h("td", {}, h("span", { class: "kind" }, KIND_WORDS[task.kind] || task.kind), " ",
      h("code", {}, task.spec)),
    h("td", {}, destinationsText(task, channels) || channelLabel(channels, "?")),
    h("td", {}, task.next_run_at ? timeEl(task.next_run_at) : "—",
      task.next_run_at
        ? h("span", { class: "zone" }, zone ? ` (${zoneTime(task.next_run_at, zone)})`
          : " (server's zone)")
        : null),
    h("td", {}, badge(task.status)),
    h("td", { class: "actions" },
      canWrite
        ? [
          paused
            ? act("Resume", () => action("resume", {}, () => `Resumed “${task.name}”.`))
            : act("Pause", () => action("pause", {}, () => `Paused “${task.name}”.`)),
          act("Run now", () => action("run", { dry_run: false }, () =>
            `“${task.name}” is running now.`)),
          act("Dry run", dryRun),
        ]
        : null,
      h("a", { class: "button", href: `/guilds/${guildId}/tasks/${task.id}/history`,
        "aria-label": `History of ${task.name}` }, "History"),
      canWrite ? act("Delete", remove, "danger") : null),
  );
}

function showDryRun(task, body) {
  const message = body?.message ?? body?.rendered ?? body ?? {};
  const dialog = h("dialog", { class: "dry-run", "aria-labelledby": "dry-run-title" },
    h("h2", { id: "dry-run-title" }, `Dry run of “${task.name}”: nothing was posted`),
    discordPreview({ content: message.content, embed: message.embed ?? message.embeds?.[0] }),
    h("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); } }, "Close"));
  document.body.append(dialog);
  dialog.showModal();
}
