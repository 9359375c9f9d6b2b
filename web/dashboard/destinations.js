// Where a task posts: one or more destinations (a channel, a thread, or a webhook with its own
// name and avatar), picked from the server's channels with what the bot lacks in each shown
// next to it, so a channel it cannot post in is flagged before saving.

import { field, fill, h } from "./ui.js";

const MAX_DESTINATIONS = 5;
const TYPES = [["channel", "Channel"], ["thread", "Thread"], ["webhook", "Webhook"]];

/** The editor for `destinations` (a task's, or one empty row); `.value()` gives them back. */
export function destinationEditor(destinations, channels, onChange = () => {}) {
  const rows = (destinations && destinations.length ? destinations : [{ type: "channel" }])
    .map((d) => ({ ...d }));
  const list = h("div", { class: "destinations" });
  const add = h("button", { type: "button", onclick: () => {
    if (rows.length >= MAX_DESTINATIONS) return;
    rows.push({ type: "channel" });
    draw();
    onChange();
  } }, "Add a destination");

  function draw() {
    fill(list, rows.map((row, index) => rowEditor(row, index)));
    add.disabled = rows.length >= MAX_DESTINATIONS;
  }

  function rowEditor(row, index) {
    const prefix = `destinations[${index}]`;
    const n = index + 1;
    const warning = h("p", { class: "warning", id: `d${index}-warning`, role: "note" });
    const type = h("select", { id: `d${index}-type`, name: `${prefix}.type` },
      TYPES.map(([value, text]) => h("option", { value, selected: row.type === value }, text)));
    const isThread = (c) => c.type.includes("thread");
    const choices = () => channels.filter((c) => (row.type === "thread" ? isThread(c) : !isThread(c)));
    const channel = h("select", { id: `d${index}-channel`, name: `${prefix}.channel_id` });
    // Manage Webhooks matters only to a webhook destination.
    const lacking = (c) => c.lacks.filter((x) => row.type === "webhook" || x !== "manage webhooks");
    const drawChoices = () => {
      const picked = String(row.type === "thread" ? row.thread_id || "" : row.channel_id || "");
      fill(channel, h("option", { value: "" }, "choose…"),
        choices().map((c) => h("option", { value: c.id, selected: c.id === picked },
          lacking(c).length ? `#${c.name} — bot lacks ${lacking(c).join(", ")}` : `#${c.name}`)));
      if (picked && !choices().some((c) => c.id === picked)) {
        channel.append(h("option", { value: picked, selected: true }, `channel ${picked}`));
      }
      flag();
    };
    const flag = () => {
      const chosen = channels.find((c) => c.id === channel.value);
      fill(warning, chosen && lacking(chosen).length
        ? `The bot lacks ${lacking(chosen).join(", ")} in #${chosen.name}: posts there will fail ` +
          "until a server admin gives it."
        : "");
    };
    const webhookOnly = h("div", { class: "webhook-fields", hidden: row.type !== "webhook" },
      field("Webhook name", h("input", { id: `d${index}-name`, name: `${prefix}.name`,
        value: row.name || "", maxlength: 80,
        oninput: (e) => { row.name = e.target.value; onChange(); } }), { name: `${prefix}.name` }),
      field("Webhook avatar URL", h("input", { id: `d${index}-avatar`, type: "url",
        name: `${prefix}.avatar_url`, value: row.avatar_url || "",
        oninput: (e) => { row.avatar_url = e.target.value; onChange(); } }),
      { name: `${prefix}.avatar_url` }));
    const publish = h("input", { type: "checkbox", id: `d${index}-publish`, checked: !!row.publish,
      onchange: (e) => { row.publish = e.target.checked; onChange(); } });
    type.addEventListener("change", () => {
      row.type = type.value;
      webhookOnly.hidden = row.type !== "webhook";
      drawChoices();
      onChange();
    });
    channel.addEventListener("change", () => {
      const chosen = channels.find((c) => c.id === channel.value);
      if (row.type === "thread") {
        row.thread_id = channel.value;
        row.channel_id = chosen && chosen.parentId ? chosen.parentId : channel.value;
      } else {
        row.channel_id = channel.value;
      }
      flag();
      onChange();
    });
    drawChoices();
    return h("fieldset", { class: "destination" },
      h("legend", {}, rows.length > 1 ? `Destination ${n}` : "Posts to"),
      field("Type", type, { name: `${prefix}.type` }),
      field(row.type === "thread" ? "Thread" : "Channel", channel,
        { name: `${prefix}.${row.type === "thread" ? "thread_id" : "channel_id"}` }),
      warning,
      h("div", { class: "inline-field" }, publish,
        h("label", { for: `d${index}-publish` }, "Publish (announcement channels)")),
      webhookOnly,
      rows.length > 1 ? h("button", { type: "button", class: "danger", onclick: () => {
        rows.splice(index, 1);
        draw();
        onChange();
      } }, `Remove destination ${n}`) : null);
  }

  draw();
  return {
    element: h("section", { "aria-labelledby": "dest-title" },
      h("h2", { id: "dest-title" }, "Where it posts"), list, add),
    value() {
      return rows.map((row) => {
        const out = { type: row.type, channel_id: row.channel_id || "" };
        if (row.type === "thread") out.thread_id = row.thread_id || "";
        if (row.type === "channel" && row.publish) out.publish = true;
        if (row.type === "webhook") {
          if (row.name) out.name = row.name;
          if (row.avatar_url) out.avatar_url = row.avatar_url;
          if (row.thread_id) out.thread_id = row.thread_id;
        }
        return out;
      });
    },
  };
}
