// Problem documents shown in forms: each field error at its control (the API's dotted field
// names), the rest and the detail in the form's alert box. Used by every form, so errors look
// and read the same everywhere.

import { fill, h } from "./ui.js";

/** Empty the error slots of `form` (only those named in `names`, when given). */
export function clearErrors(form, names) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    if (!names || names.includes(slot.dataset.errorFor)) slot.textContent = "";
  }
}

/**
 * Show an ApiError in `form`: each field error at its slot, the rest listed in `general`
 * with the detail (unless `quiet`). `rename` maps an API field name to a slot name first.
 */
export function showErrors(form, general, err, { quiet = false, rename = (name) => name } = {}) {
  const rest = [];
  for (const e of err.problem.errors || []) {
    const slot = slotFor(form, rename(e.field));
    if (slot) slot.textContent = e.message;
    else rest.push(`${e.field}: ${e.message}`);
  }
  if (quiet) return;
  fill(general, h("p", { class: "error" }, err.message),
    rest.length ? h("ul", {}, rest.map((text) => h("li", {}, text))) : null);
  general.scrollIntoView({ block: "start" });
}

/**
 * The error slot for an API field name: the name itself, else the same name on the first
 * destination or message variant (`channel_id`, `payload.content`), else its parents
 * (`payload.variants[1].embed.title` -> `payload.variants[1].embed` -> ...).
 */
function slotFor(form, name) {
  const candidates = [name, `destinations[0].${name}`,
    name.replace(/^payload\.(?!variants)/, "payload.variants[0].")];
  for (let key of candidates) {
    while (key) {
      const slot = form.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
      if (slot) return slot;
      const parent = key.replace(/(\.[^.[\]]*|\[\d+\])$/, "");
      if (parent === key) break;
      key = parent;
    }
  }
  return null;
}
