// API tokens: list, create (the token is shown once, here, and never again) and revoke.
// Only members who may change the server's settings manage tokens; the server decides.

import { clearErrors, showErrors } from "./errors.js";
import { ApiError, get, guildPath, post, request } from "./api.js";
import { announce, confirmDialog, field, fill, h, timeEl } from "./ui.js";

export async function render(main, { guildId }) {
  const path = guildPath(guildId, "/api-tokens");
  const list = h("div", { id: "token-list" });
  const shown = h("div", { id: "new-token", "aria-live": "polite" });
  const name = h("input", { name: "name", id: "token-name", maxlength: 32, required: true,
    pattern: "[A-Za-z0-9_-]{1,32}", autocomplete: "off" });
  const scope = h("select", { name: "scope", id: "token-scope" },
    h("option", { value: "read" }, "read: look only"),
    h("option", { value: "write" }, "write: also change tasks and settings"));
  const general = h("div", { class: "form-errors", role: "alert" });
  const form = h("form", { class: "token-form", novalidate: true }, general,
    field("Name", name, { name: "name", hint: "1-32 letters, digits, - or _" }),
    field("Scope", scope, { name: "scope" }),
    h("button", { type: "submit", class: "primary" }, "Create token"));

  const draw = async () => {
    const tokens = (await get(path)).items || [];
    if (!tokens.length) return fill(list, h("p", { class: "empty" }, "No API tokens yet."));
    fill(list, h("table", { class: "tokens" },
      h("caption", { class: "visually-hidden" }, "API tokens"),
      h("thead", {}, h("tr", {}, ["Name", "Scope", "Created by", "Created", "Last used", ""]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, tokens.map((t) => h("tr", { "data-token": t.name },
        h("th", { scope: "row" }, t.name), h("td", {}, t.scope),
        h("td", {}, `user ${t.created_by}`), h("td", {}, timeEl(t.created_at)),
        h("td", {}, t.last_used_at ? timeEl(t.last_used_at) : "never"),
        h("td", {}, h("button", { type: "button", class: "danger",
          "aria-label": `Revoke ${t.name}`, onclick: () => revoke(t.name) }, "Revoke")))))));
  };
  const revoke = async (tokenName) => {
    if (!(await confirmDialog(`Revoke the token “${tokenName}”? Anything using it stops ` +
      "working at once.", "Revoke"))) return;
    try {
      await request("DELETE", `${path}/${encodeURIComponent(tokenName)}`);
      announce(`Revoked “${tokenName}”.`);
      await draw();
    } catch (err) {
      announce(err.message, "error");
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(general);
    clearErrors(form);
    try {
      const made = (await post(path, { name: name.value.trim(), scope: scope.value })).body;
      fill(shown, h("div", { class: "notice once" },
        h("p", {}, `The ${made.scope} token “${made.name}” — copy it now, it will not be shown again:`),
        h("pre", {}, h("code", { id: "token-value" }, made.token))));
      name.value = "";
      await draw();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showErrors(form, general, err);
    }
  });
  fill(main, h("h1", {}, "API tokens"),
    h("p", {}, "Tokens let scripts and other tools use Cadence's web API for this server, " +
      "with your rights. Send one as Authorization: Bearer <token>."),
    shown, form, h("h2", {}, "Tokens"), list);
  await draw();
}
