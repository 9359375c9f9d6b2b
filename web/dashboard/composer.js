// The message composer: one or more variants (content + an optional embed), their rotation,
// and a Discord-like preview of each, redrawn as you type. Produces the task's `payload`.

import { field, fill, h } from "./ui.js";

const MAX_VARIANTS = 10;

/** A Discord-like rendering of {content, embed}: text, then the embed with its colour bar. */
export function discordPreview({ content, embed }) {
  const box = h("div", { class: "discord", "aria-label": "Preview of the message" },
    h("div", { class: "discord-author" }, h("span", { class: "discord-bot" }, "Cadence"),
      h("span", { class: "discord-tag" }, "APP")));
  if (content) box.append(h("div", { class: "discord-content" }, content));
  if (embed && Object.keys(embed).length) {
    const card = h("div", { class: "discord-embed" },
      embed.title ? h("div", { class: "embed-title" }, embed.title) : null,
      embed.description ? h("div", { class: "embed-description" }, embed.description) : null,
      (embed.fields || []).map((f) => h("div", { class: f.inline ? "embed-field inline" : "embed-field" },
        h("div", { class: "embed-field-name" }, f.name), h("div", {}, f.value))),
      embed.image_url ? h("p", { class: "embed-image" }, `image: ${embed.image_url}`) : null,
      embed.footer ? h("div", { class: "embed-footer" }, embed.footer) : null);
    if (embed.color !== undefined && embed.color !== null) {
      card.style.borderLeftColor = `#${Number(embed.color).toString(16).padStart(6, "0")}`;
    }
    box.append(card);
  }
  if (!content && !(embed && Object.keys(embed).length)) {
    box.append(h("p", { class: "hint" }, "(empty message)"));
  }
  return box;
}

/** The composer for `payload` (a task's, or empty); `.value()` gives the payload back. */
export function composer(payload = {}, onChange = () => {}) {
  const variants = (payload.variants && payload.variants.length ? payload.variants : [{}])
    .map((v) => ({ ...v }));
  const list = h("div", { class: "variants" });
  const rotation = h("select", { name: "rotation", id: "rotation" },
    h("option", { value: "sequential", selected: payload.rotation !== "random" }, "in turn"),
    h("option", { value: "random", selected: payload.rotation === "random" }, "at random"));
  const addButton = h("button", { type: "button", onclick: () => {
    if (variants.length >= MAX_VARIANTS) return;
    variants.push({});
    draw();
    onChange();
  } }, "Add a variant");

  function draw() {
    fill(list, variants.map((variant, index) => variantEditor(variant, index)));
    addButton.disabled = variants.length >= MAX_VARIANTS;
  }

  function variantEditor(variant, index) {
    const prefix = `payload.variants[${index}]`;
    const preview = h("div", { class: "preview-slot" });
    const redraw = () => {
      fill(preview, discordPreview(clean(variant)));
      onChange();
    };
    const embed = variant.embed || (variant.embed = {});
    const input = (label, key, target, attrs = {}) => {
      const control = h(attrs.rows ? "textarea" : "input", {
        id: `v${index}-${key}`, name: `${prefix}.${key}`, ...attrs,
        oninput: (event) => {
          const raw = event.target.value;
          if (key === "color") target[key] = parseInt(raw.slice(1), 16);
          else target[key] = raw;
          redraw();
        },
      });
      const current = target[key];
      if (key === "color") {
        control.value = current !== undefined && current !== null
          ? `#${Number(current).toString(16).padStart(6, "0")}` : "#5865f2";
      } else if (current) {
        control.value = current;
      }
      const errorName = target === embed ? `${prefix}.embed.${key}` : `${prefix}.${key}`;
      return field(label, control, { name: errorName });
    };
    const n = index + 1;
    const remove = variants.length > 1
      ? h("button", { type: "button", class: "danger", onclick: () => {
        variants.splice(index, 1);
        draw();
        onChange();
      } }, `Remove variant ${n}`)
      : null;
    const useColor = h("input", { type: "checkbox", id: `v${index}-use-color`,
      checked: embed.color !== undefined && embed.color !== null,
      onchange: (event) => {
        if (event.target.checked) embed.color = 0x5865f2;
        else delete embed.color;
        redraw();
      } });
    const editor = h("fieldset", { class: "variant" },
      h("legend", {}, variants.length > 1 ? `Variant ${n}` : "Message"),
      h("div", { class: "variant-grid" },
        h("div", {},
          input("Text", "content", variant, { rows: 4, maxlength: 2000 }),
          h("details", { open: Object.keys(embed).length > 0 },
            h("summary", {}, "Embed"),
            input("Embed title", "title", embed, { maxlength: 256 }),
            input("Embed description", "description", embed, { rows: 3, maxlength: 4096 }),
            h("div", { class: "inline-field" }, useColor,
              h("label", { for: `v${index}-use-color` }, "Colour bar")),
            input("Embed colour", "color", embed, { type: "color" }),
            input("Embed footer", "footer", embed, { maxlength: 2048 }),
            input("Embed image URL", "image_url", embed, { type: "url" })),
          remove),
        h("div", {}, h("p", { class: "preview-label" }, "Preview"), preview)));
    fill(preview, discordPreview(clean(variant)));
    return editor;
  }

  draw();
  rotation.addEventListener("change", onChange);
  const element = h("section", { class: "composer", "aria-labelledby": "composer-title" },
    h("h2", { id: "composer-title" }, "Message"),
    list,
    h("div", { class: "row" }, addButton,
      field("With several variants, post them", rotation, { name: "payload.rotation" })));
  return {
    element,
    value() {
      const out = { variants: variants.map(clean) };
      if (variants.length > 1) out.rotation = rotation.value;
      return out;
    },
  };
}

/** A variant without empty strings or an empty embed, as the API wants it. */
function clean(variant) {
  const out = {};
  if (variant.content) out.content = variant.content;
  const embed = {};
  for (const [key, value] of Object.entries(variant.embed || {})) {
    if (value !== "" && value !== undefined && value !== null && !Number.isNaN(value)) {
      embed[key] = value;
    }
  }
  if (Object.keys(embed).some((k) => k !== "color")) out.embed = embed;
  return out;
}
