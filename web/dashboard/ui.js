// Small DOM helpers. Text always goes in as text nodes (never innerHTML), so a task name or
// message can never become markup.

/** h("a", {href: "/", class: "x"}, "text", child...) -> element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (charts are drawn by our own code). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

/** Replace everything in `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form control: <label for> + control + an error slot the form fills by field. */
export function field(label, control, { hint, name } = {}) {
  const id = control.id || `f-${name || Math.random().toString(36).slice(2)}`;
  control.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error`, "data-error-for": name || "" });
  control.setAttribute("aria-describedby", `${id}-error${hint ? ` ${id}-hint` : ""}`);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    error,
  );
}

/** Say something in the page's live region (read out by screen readers). */
export function announce(text, kind = "info") {
  const region = document.getElementById("status");
  fill(region, h("p", { class: `notice ${kind}` }, text));
}

/** Ask before doing something that cannot be undone; resolves true when confirmed. */
export function confirmDialog(question, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-q" });
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(
      h("p", { id: "confirm-q" }, question),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: () => done(false) }, "Cancel"),
        h("button", { type: "button", class: "danger", onclick: () => done(true) }, confirmLabel),
      ),
    );
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The browser's own zone (IANA name). */
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An ISO instant in the browser's local time, e.g. "Fri 4 Dec, 09:00". */
export function localTime(iso, { withZone = false } = {}) {
  if (!iso) return "—";
  const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit" };
  if (withZone) options.timeZoneName = "short";
  return new Date(iso).toLocaleString(undefined, options);
}

/** The same instant as a wall time in `zone` (the task's own), e.g. "09:00 Europe/Paris". */
export function zoneTime(iso, zone) {
  if (!iso || !zone) return "";
  try {
    const wall = new Date(iso).toLocaleString(undefined, {
      timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit" });
    return `${wall} ${zone}`;
  } catch {
    return zone;
  }
}

/** A <time> element: local text, the ISO instant as its machine value. */
export function timeEl(iso, opts) {
  return h("time", { datetime: iso || "" }, localTime(iso, opts));
}

/** A status badge with a word, not just a colour. */
export const badge = (status) => h("span", { class: `badge badge-${status}` }, status);

/** Local calendar day key "YYYY-MM-DD" of a Date. */
export function dayKey(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
