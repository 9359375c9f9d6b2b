// The server's settings, as /scheduler config: read with GET /settings, saved as a merge patch
// of what changed. Channels are picked from the server's channels; an empty value resets a
// setting to its default (as `clear` does in the slash command).

import { clearErrors, showErrors } from "./errors.js";
import { ApiError, guildPath, request } from "./api.js";
import { loadChannels } from "./shapes.js";
import { announce, field, fill, h, localTime, localZone } from "./ui.js";

const WORDS = {
  timezone: ["Time zone", "For tasks without their own zone, e.g. Europe/Berlin."],
  dev_channel_id: ["Dev channel", "Where this server's failures and reports go."],
  alert_channel_id: ["Alert channel", "Where notices for members go (default: the dev channel)."],
  manager_role_id: ["Manager role (id)", "Members with this role may manage tasks."],
  viewer_role_id: ["Viewer role (id)", "Members with this role may look, not change."],
  summary_cron: ["Overview schedule", "When to post the task overview, e.g. 0 9 * * 1-5."],
  summary_channel_id: ["Overview channel", "Where the overview goes (default: the dev channel)."],
  mention_policy: ["Mentions", "creator: mentions the creator may make; none: no role pings."],
};

const READ_ONLY = {
  effective_timezone: "Zone in use",
  updated_at: "Last changed",
};

export async function render(main, { guildId, canWrite = true }) {
  const path = guildPath(guildId, "/settings");
  const [answer, channels] = await Promise.all([request("GET", path), loadChannels(guildId)]);
  let settings = answer.body;
  let etag = answer.headers.get("ETag");
  const controls = {};
  const facts = h("dl", { class: "stats" }, Object.entries(READ_ONLY)
    .filter(([key]) => key in settings)
    .map(([key, label]) => [h("dt", {}, label), h("dd", { id: `setting-${key}` },
      key.endsWith("_at") ? localTime(settings[key]) : settings[key] ?? "—")]));
  const fields = Object.entries(settings)
    .filter(([key, v]) => !(key in READ_ONLY) && (typeof v !== "object" || v === null))
    .map(([key, value]) => {
      const [label, hint] = WORDS[key] || [key.replaceAll("_", " "), undefined];
      let control;
      if (typeof value === "boolean") {
        control = h("input", { type: "checkbox", name: key, checked: value });
      } else if (key.endsWith("channel_id") && channels.length) {
        control = h("select", { name: key }, h("option", { value: "" }, "default"),
          channels.filter((c) => !c.type.includes("thread")).map((c) =>
            h("option", { value: c.id, selected: String(value) === c.id }, `#${c.name}`)));
      } else if (key === "mention_policy") {
        control = h("select", { name: key }, ["creator", "none"].map((v) =>
          h("option", { value: v, selected: value === v }, v)));
      } else {
        control = h("input", { name: key, value: value ?? "",
          list: key === "timezone" ? "zones" : null,
          placeholder: key === "timezone" ? settings.effective_timezone || localZone() : "" });
      }
      control.id = `setting-${key}`;
      controls[key] = control;
      return field(label, control, { name: key, hint });
    });
  const zones = h("datalist", { id: "zones" },
    (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []).map((z) =>
      h("option", { value: z })));
  const general = h("div", { class: "form-errors", role: "alert" });
  const form = h("form", { class: "settings", novalidate: true },
    canWrite ? null : h("p", { class: "hint", id: "read-only" },
      "You may look at these settings but not change them (viewer role)."),
    general, fields, zones,
    h("button", { type: "submit", class: "primary", disabled: !canWrite,
      "aria-describedby": canWrite ? null : "read-only" }, "Save settings"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(general);
    clearErrors(form);
    const patch = {};
    for (const [key, control] of Object.entries(controls)) {
      const value = control.type === "checkbox" ? control.checked : control.value.trim() || null;
      if (JSON.stringify(value) !== JSON.stringify(settings[key] === undefined ? null
        : typeof settings[key] === "number" ? String(settings[key]) : settings[key])) {
        patch[key] = value;
      }
    }
    try {
      const headers = etag ? { "If-Match": etag } : {};
      const saved = await request("PATCH", path, { body: patch, headers });
      settings = saved.body;
      for (const [key] of Object.entries(READ_ONLY)) {
        const shown = document.getElementById(`setting-${key}`);
        if (shown) shown.textContent = key.endsWith("_at") ? localTime(settings[key]) : settings[key] ?? "—";
      }
      etag = saved.headers.get("ETag");
      announce("Settings saved.");
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showErrors(form, general, err);
    }
  });
  fill(main, h("h1", {}, "Settings"), facts, form);
}
