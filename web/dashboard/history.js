// A task's history: its runs (scheduled instant, start, lateness, status, attempts, error) and
// a chart of the success rate and lateness per day over the last 14 days.

import { ApiError, get, getAll, guildPath } from "./api.js";
import { fmt, runChart } from "./chart.js";
import { badge, dayKey, fill, h, timeEl } from "./ui.js";

/** A run of /runs, whatever the server names its fields. */
function runShape(r) {
  const scheduled = r.scheduled_at ?? r.scheduled_for ?? r.scheduled ?? null;
  const started = r.started_at ?? r.started ?? null;
  let lateness = r.lateness_seconds ?? r.lateness ?? null;
  if (lateness === null && scheduled && started) {
    lateness = (new Date(started) - new Date(scheduled)) / 1000;
  }
  return { scheduled, started, lateness, status: r.status, attempts: r.attempts ?? null,
    error: r.error ?? null };
}

export async function render(main, { guildId, taskId }) {
  const task = await get(guildPath(guildId, `/tasks/${taskId}`));
  const runs = (await getAll(guildPath(guildId, `/tasks/${taskId}/runs?limit=100`), { max: 500 }))
    .map(runShape);
  let stats = null;
  try {
    stats = await get(guildPath(guildId, `/tasks/${taskId}/stats`));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  fill(main,
    h("h1", {}, `History of “${task.name}”`),
    h("p", {}, h("a", { href: `/guilds/${guildId}/tasks/${taskId}` }, "Edit this task")),
    stats ? statsList(stats) : null,
    runChart(daily(runs, 14)),
    runs.length
      ? h("table", { class: "runs" },
        h("caption", {}, `${runs.length} most recent runs`),
        h("thead", {}, h("tr", {}, ["Scheduled", "Started", "Lateness", "Status", "Attempts",
          "Error"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, runs.map((r) => h("tr", {},
          h("td", {}, timeEl(r.scheduled)), h("td", {}, r.started ? timeEl(r.started) : "—"),
          h("td", {}, fmt(r.lateness)), h("td", {}, badge(r.status)),
          h("td", {}, r.attempts ?? "—"), h("td", { class: "error-text" }, r.error || "")))))
      : h("p", { class: "empty" }, "This task has not run yet."));
}

function statsList(stats) {
  const entries = Object.entries(stats)
    .filter(([k, v]) => k !== "task_id" && (typeof v !== "object" || v === null));
  const shown = (k, v) => {
    if (v === null || v === undefined) return "—";
    if (k.endsWith("_at")) return timeEl(v);
    if (k.includes("rate") && typeof v === "number") return `${Math.round(v * 100)}%`;
    if (k.includes("lateness") && typeof v === "number") return fmt(v);
    return String(v);
  };
  return h("dl", { class: "stats" }, entries.map(([k, v]) => [
    h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, shown(k, v))]));
}

/** Runs per local day for the last `count` days: ok/total and the median lateness. */
function daily(runs, count) {
  const today = new Date();
  const days = [];
  for (let i = count - 1; i >= 0; i--) {
    const date = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
    days.push({ key: dayKey(date), label: `${date.getDate()}/${date.getMonth() + 1}`, ok: 0,
      total: 0, late: [] });
  }
  const byKey = new Map(days.map((d) => [d.key, d]));
  for (const run of runs) {
    const day = run.scheduled && byKey.get(dayKey(new Date(run.scheduled)));
    if (!day || run.status === "running") continue;
    day.total += 1;
    if (run.status === "ok") day.ok += 1;
    if (run.lateness !== null) day.late.push(run.lateness);
  }
  return days.map((d) => {
    d.late.sort((a, b) => a - b);
    return { label: d.label, ok: d.ok, total: d.total,
      lateness: d.late.length ? d.late[Math.floor(d.late.length / 2)] : null };
  });
}
