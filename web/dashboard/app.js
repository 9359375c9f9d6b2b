// The dashboard's entry point: who is looking (/auth/session), which view the address names,
// the header's navigation. Pages are plain addresses (links reload), so every view can be
// bookmarked, opened in a second tab and reached by keyboard without a router.

import { ApiError, loadSession, request } from "./api.js";
import { announce, fill, h } from "./ui.js";

const VIEWS = [
  [/^\/$/, "picker", []],
  [/^\/guilds\/(\d+)$/, "tasks", ["guildId"]],
  [/^\/guilds\/(\d+)\/tasks\/new$/, "form", ["guildId"]],
  [/^\/guilds\/(\d+)\/tasks\/(\d+)$/, "form", ["guildId", "taskId"]],
  [/^\/guilds\/(\d+)\/tasks\/(\d+)\/history$/, "history", ["guildId", "taskId"]],
  [/^\/guilds\/(\d+)\/calendar$/, "calendar", ["guildId"]],
  [/^\/guilds\/(\d+)\/settings$/, "settings", ["guildId"]],
  [/^\/guilds\/(\d+)\/audit$/, "audit", ["guildId"]],
  [/^\/guilds\/(\d+)\/tokens$/, "tokens", ["guildId"]],
];

function route(path) {
  for (const [pattern, view, names] of VIEWS) {
    const match = pattern.exec(path);
    if (match) {
      const params = {};
      names.forEach((name, i) => (params[name] = match[i + 1]));
      return { view, params };
    }
  }
  return null;
}

/**
 * May the person change this server's schedule ("write"), or only look ("read", the viewer
 * role)? The server decides on every request; this only hides controls it would refuse.
 * Without a session the views below answer 401 and the login page is drawn instead.
 */
async function accessTo(guildId, session) {
  if (!guildId || !session || !session.user) return "write";
  try {
    const answer = await request("GET", "/auth/guilds");
    const found = (answer.body?.guilds || []).find((g) => g.id === guildId);
    return found ? found.access : "read";
  } catch {
    return "read";
  }
}

function drawNav(guildId, current, canWrite) {
  const nav = document.getElementById("nav");
  if (!guildId) return fill(nav);
  const link = (href, text, view) =>
    h("a", { href, "aria-current": view === current ? "page" : null }, text);
  const base = `/guilds/${guildId}`;
  fill(
    nav,
    link("/", "Servers", "picker"),
    link(base, "Tasks", "tasks"),
    canWrite ? link(`${base}/tasks/new`, "New task", "form") : null,
    link(`${base}/calendar`, "Calendar", "calendar"),
    link(`${base}/settings`, "Settings", "settings"),
    link(`${base}/audit`, "Audit log", "audit"),
    canWrite ? link(`${base}/tokens`, "API tokens", "tokens") : null,
  );
}

function drawWho(session) {
  const who = document.getElementById("who");
  if (!session || !session.user) return fill(who);
  const name = session.user.global_name || session.user.username || "you";
  const logout = h("button", { type: "button", class: "link" }, "Log out");
  logout.addEventListener("click", async () => {
    await request("POST", "/auth/logout").catch(() => null);
    location.assign("/");
  });
  fill(who, h("span", {}, `Logged in as ${name}`), " ", logout);
}

function loginPage(main, session) {
  const next = encodeURIComponent(location.pathname + location.search);
  if (session && session.unavailable) {
    return fill(main, h("h1", {}, "Log in"), h("p", {}, session.unavailable));
  }
  fill(
    main,
    h("h1", {}, "Cadence dashboard"),
    h("p", {}, "Log in with your Discord account to manage the schedules of your servers."),
    h("a", { class: "button primary", href: `/login?next=${next}` }, "Log in with Discord"),
  );
}

async function start() {
  const main = document.getElementById("main");
  const found = route(location.pathname);
  let session;
  try {
    session = await loadSession();
  } catch (err) {
    session = { unavailable: `The server did not answer (${err.message}).` };
  }
  drawWho(session);
  if (!found) {
    return fill(main, h("h1", {}, "Not found"), h("p", {}, "There is no such page."));
  }
  if ((!session || session.unavailable) && found.view === "picker") {
    return loginPage(main, session);
  }
  // The edit page and a task's history belong to the tasks section; "New task" is create.
  const section = found.params.taskId ? "tasks" : found.view;
  const canWrite = (await accessTo(found.params.guildId, session)) === "write";
  drawNav(found.params.guildId, section, canWrite);
  if (canWrite) delete document.body.dataset.readOnly;
  else document.body.dataset.readOnly = "true";
  try {
    const module = await import(`./${found.view}.js`);
    await module.render(main, { ...found.params, session, canWrite });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return loginPage(main, session);
    const detail = err instanceof ApiError ? err.message : `Something went wrong: ${err}`;
    fill(main, h("h1", {}, "This page could not be shown"), h("p", { class: "error" }, detail));
    announce(detail, "error");
  }
}

// Tests (and people) can tell when a view has finished drawing.
start().finally(() => (document.body.dataset.ready = "true"));
