// Create and edit a task. The schedule is previewed live by POST /preview (the readable
// sentence and the next 5 runs, or exactly the error creating it would give, shown at its
// field). Saving edits sends a merge patch with If-Match; a 412 means someone else changed the
// task since this page loaded, and the page shows what they changed instead of overwriting it.

import { ApiError, guildPath, request } from "./api.js";
import { composer } from "./composer.js";
import { clearErrors, showErrors } from "./errors.js";
import { destinationEditor } from "./destinations.js";
import { KIND_WORDS, loadChannels, previewShape } from "./shapes.js";
import { announce, field, fill, h, localTime, localZone, zoneTime } from "./ui.js";

const EDITABLE = ["name", "kind", "spec", "timezone", "catch_up", "start_at", "end_at",
  "max_runs", "payload", "destinations"];
const FIELD_WORDS = { payload: "message", destinations: "where it posts", spec: "schedule",
  timezone: "time zone", catch_up: "catch-up", max_runs: "most runs", end_at: "ends after",
  start_at: "starting" };
const PREVIEW_KEYS = { cron: "cron", date: "once", interval: "every" };
const PREVIEW_FIELDS = { cron: 1, once: 1, every: 1 };
const SPEC_HINTS = {
  cron: "A crontab (0 9 * * 1-5) or plain English (every weekday at 9:00).",
  date: `The day and time it posts, in your local time (${localZone()}).`,
  interval: "How often: 90m, 2 hours, 1d 12h.",
};

export async function render(main, { guildId, taskId, canWrite = true }) {
  const channels = await loadChannels(guildId);
  let task = null;
  let etag = null;
  if (taskId) {
    const answer = await request("GET", guildPath(guildId, `/tasks/${taskId}`));
    task = answer.body;
    etag = answer.headers.get("ETag");
  }
  const t = task || { kind: "cron", catch_up: "once", timezone: localZone() };
  const name = h("input", { id: "name", name: "name", required: true, maxlength: 100,
    value: t.name || "" });
  const kind = h("select", { id: "kind", name: "kind" },
    Object.entries(KIND_WORDS).map(([value, text]) =>
      h("option", { value, selected: t.kind === value }, text)));
  const spec = h("input", { id: "spec", name: "spec", value: t.kind === "date" ? "" : t.spec || "",
    autocomplete: "off" });
  const when = h("input", { id: "when", name: "when", type: "datetime-local",
    value: t.kind === "date" && t.spec ? wallTime(t.spec) : "" });
  const zones = h("datalist", { id: "zones" },
    (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []).map((z) =>
      h("option", { value: z })));
  const zone = h("input", { id: "timezone", name: "timezone", list: "zones",
    value: t.timezone || "", placeholder: "the server's zone", autocomplete: "off" });
  const start = h("input", { id: "start_at", name: "start_at", type: "datetime-local",
    value: wallTime(t.start_at) });
  const end = h("input", { id: "end_at", name: "end_at", type: "datetime-local",
    value: wallTime(t.end_at) });
  const maxRuns = h("input", { id: "max_runs", name: "max_runs", type: "number", min: 1,
    value: t.max_runs ?? "" });
  const catchUp = h("select", { id: "catch_up", name: "catch_up" },
    [["once", "post once for everything missed"], ["all", "post every missed run"],
      ["skip", "skip what was missed"]].map(([value, text]) =>
      h("option", { value, selected: t.catch_up === value }, text)));
  const previewBox = h("div", { id: "schedule-preview", class: "preview", "aria-live": "polite" });
  const message = composer(t.payload);
  const dests = destinationEditor(t.destinations, channels);
  const general = h("div", { id: "form-errors", class: "form-errors", role: "alert" });
  const conflict = h("div", { id: "conflict" });
  const specField = field("Schedule", spec, { name: "spec", hint: SPEC_HINTS[t.kind] });
  const whenField = field("Posts at", when, { name: "when", hint: SPEC_HINTS.date });
  const startField = field("Starting", start, { name: "start_at" });

  const showKind = () => {
    specField.hidden = kind.value === "date";
    whenField.hidden = kind.value !== "date";
    startField.hidden = kind.value !== "interval";
    const hint = specField.querySelector(".hint");
    if (hint) hint.textContent = SPEC_HINTS[kind.value];
  };
  showKind();

  // A date's spec is typed in the "Posts at" control.
  const rename = (name) => {
    const schedule = name === "spec" || name === "schedule" || name in PREVIEW_FIELDS;
    return schedule ? (kind.value === "date" ? "when" : "spec") : name;
  };
  const input = () => {
    const out = {
      name: name.value.trim(),
      kind: kind.value,
      spec: kind.value === "date" ? isoOf(when.value) ?? "" : spec.value.trim(),
      timezone: zone.value.trim() || null,
      catch_up: catchUp.value,
      start_at: kind.value === "interval" ? isoOf(start.value) : null,
      end_at: isoOf(end.value),
      max_runs: maxRuns.value ? Number(maxRuns.value) : null,
      payload: message.value(),
      destinations: dests.value(),
    };
    return out;
  };

  let previewTimer;
  let previewSeq = 0;
  const preview = () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const seq = ++previewSeq;
      const body = input();
      // The preview names the schedule by the slash command's word: cron, once or every.
      const asked = { [PREVIEW_KEYS[body.kind]]: body.spec, timezone: body.timezone,
        start_at: body.start_at ?? undefined, end_at: body.end_at ?? undefined, count: 5 };
      clearErrors(form, ["spec", "when", "kind", "timezone", "start_at", "end_at"]);
      if (!body.spec) return fill(previewBox, h("p", { class: "hint" }, "Type a schedule to see when it posts."));
      try {
        const answer = await request("POST", guildPath(guildId, "/preview"), { body: asked });
        if (seq !== previewSeq) return;
        drawPreview(previewBox, previewShape(answer.body), body.timezone);
      } catch (err) {
        if (seq !== previewSeq) return;
        fill(previewBox, h("p", { class: "error" }, err.message));
        if (err instanceof ApiError) showErrors(form, general, err, { quiet: true, rename });
      }
    }, 250);
  };
  for (const control of [kind, spec, when, zone, start, end]) {
    control.addEventListener("input", preview);
  }
  kind.addEventListener("change", () => { showKind(); preview(); });

  // A viewer sees the task as the form shows it, but cannot send it (the server would refuse).
  const submit = h("button", { type: "submit", class: "primary", disabled: !canWrite,
    "aria-describedby": canWrite ? null : "read-only" }, task ? "Save changes" : "Create task");
  const form = h("form", { class: "task-form", novalidate: true, "aria-labelledby": "form-title" },
    canWrite ? null : h("p", { class: "hint", id: "read-only" },
      "You may look at this task but not change it (viewer role)."),
    general,
    conflict,
    h("section", { "aria-labelledby": "sched-title" },
      h("h2", { id: "sched-title" }, "When"),
      field("Name", name, { name: "name" }),
      field("Kind", kind, { name: "kind" }),
      specField, whenField,
      field("Time zone", zone, { name: "timezone", hint: `Yours is ${localZone()}.` }), zones,
      previewBox,
      startField,
      field("Ends after", end, { name: "end_at", hint: "Optional: no run after this." }),
      field("At most this many runs", maxRuns, { name: "max_runs" }),
      field("When the bot was down at a run", catchUp, { name: "catch_up" })),
    message.element,
    dests.element,
    h("div", { class: "actions" }, submit,
      h("a", { class: "button", href: `/guilds/${guildId}` }, "Cancel")));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    fill(general);
    fill(conflict);
    submit.disabled = true;
    try {
      if (!task) {
        const answer = await request("POST", guildPath(guildId, "/tasks"), { body: input() });
        announce(`Created “${answer.body.name}”.`);
        location.assign(`/guilds/${guildId}?created=${answer.body.id}`);
        return;
      }
      const patch = changes(task, input());
      const answer = await request("PATCH", guildPath(guildId, `/tasks/${task.id}`),
        { body: patch, headers: { "If-Match": etag } });
      task = answer.body;
      etag = answer.headers.get("ETag");
      announce(`Saved “${task.name}”.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        await showConflict(conflict, guildId, task, (fresh, freshTag) => {
          task = fresh;
          etag = freshTag;
        });
      } else if (err instanceof ApiError) {
        showErrors(form, general, err, { rename });
      } else {
        fill(general, h("p", { class: "error" }, String(err)));
      }
    } finally {
      submit.disabled = false;
    }
  });

  fill(main,
    h("h1", { id: "form-title" }, task ? `Edit “${task.name}”` : "New task"),
    task ? h("p", {}, h("a", { href: `/guilds/${guildId}/tasks/${task.id}/history` },
      "History of this task")) : null,
    form);
  preview();
}

function drawPreview(box, shape, zone) {
  fill(box,
    h("p", { class: "readable" }, shape.description || shape.spec || ""),
    shape.nextRuns.length
      ? h("ol", { class: "next-runs", "aria-label": "Next runs" },
        shape.nextRuns.map((iso) => h("li", {}, h("time", { datetime: iso }, localTime(iso)),
          zone ? h("span", { class: "zone" }, ` (${zoneTime(iso, zone)})`) : null)))
      : h("p", { class: "hint" }, "No run ahead."));
}

/** The merge patch from `before` to `after`: only the editable keys that changed. */
function changes(before, after) {
  const patch = {};
  for (const key of EDITABLE) {
    if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)) {
      patch[key] = after[key];
    }
  }
  return patch;
}

async function showConflict(box, guildId, mine, adopt) {
  const answer = await request("GET", guildPath(guildId, `/tasks/${mine.id}`));
  const theirs = answer.body;
  const changed = EDITABLE.concat(["status"]).filter((key) =>
    JSON.stringify(mine[key] ?? null) !== JSON.stringify(theirs[key] ?? null));
  const who = theirs.updated_by ? ` (by user ${theirs.updated_by}` +
    `${theirs.updated_at ? `, ${localTime(theirs.updated_at)}` : ""})` : "";
  fill(box, h("div", { class: "conflict", role: "alert" },
    h("h2", {}, "Someone else changed this task"),
    h("p", {}, `This task was changed after you opened it${who}. Your edits were not saved. ` +
      "Their version:"),
    h("dl", { class: "their-version" }, changed.map((key) => [
      h("dt", {}, FIELD_WORDS[key] || key), h("dd", {}, readable(key, theirs[key]))])),
    h("div", { class: "actions" },
      h("a", { class: "button", href: location.pathname }, "Load their version"),
      h("button", { type: "button", onclick: () => {
        adopt(theirs, answer.headers.get("ETag"));
        fill(box, h("p", { class: "notice" },
          "Their version is now the base: press Save changes to apply your edits over it."));
      } }, "Keep my edits over theirs"))));
  box.scrollIntoView({ block: "start" });
}

/** A field of their version, in words where it has some (the message's text), else JSON. */
function readable(key, value) {
  if (key === "payload" && value && Array.isArray(value.variants)) {
    return h("ul", {}, value.variants.map((v) =>
      h("li", {}, v.content || (v.embed && (v.embed.title || v.embed.description)) || "(embed)")));
  }
  if (key.endsWith("_at") && value) return localTime(value, { withZone: true });
  return h("code", {}, JSON.stringify(value));
}

/** "2026-12-04T09:00" (browser-local, for datetime-local inputs) from an ISO instant. */
function wallTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The ISO instant (UTC, Z) of a datetime-local value read in the browser's zone. */
function isoOf(wall) {
  if (!wall) return null;
  return new Date(wall).toISOString().replace(/\.\d{3}Z$/, "Z");
}
