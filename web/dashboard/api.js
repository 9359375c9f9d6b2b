// The dashboard's one door to the server: /auth/session and /api/v1, same origin, cookie
// credentials. Every state-changing request carries X-CSRF-Token from /auth/session; errors
// come back as ApiError holding the problem document (detail, and errors[] for fields).

let csrfToken = "";

/** An answer that was not 2xx: `problem` is the RFC 9457 document (or a stand-in). */
export class ApiError extends Error {
  constructor(status, problem, headers) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.headers = headers;
  }

  /** field name -> message, for 422 answers. */
  get fieldErrors() {
    const out = {};
    for (const e of this.problem.errors || []) out[e.field] = e.message;
    return out;
  }
}

/**
 * Who is looking: {user, csrf_token} when logged in, null when not (401), or
 * {unavailable: detail} when the server has no login at all (no DISCORD_CLIENT_SECRET).
 */
export async function loadSession() {
  const resp = await fetch("/auth/session", { credentials: "same-origin" });
  if (resp.status === 401) return null;
  if (!resp.ok) {
    const problem = await readBody(resp);
    return { unavailable: (problem && problem.detail) || `HTTP ${resp.status}` };
  }
  const session = await resp.json();
  csrfToken = session.csrf_token || "";
  return session;
}

/** Send one request; resolve to {status, body, headers} or throw ApiError. */
export async function request(method, path, { body, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (method !== "GET" && method !== "HEAD") sent["X-CSRF-Token"] = csrfToken;
  const init = { method, credentials: "same-origin", headers: sent };
  if (body !== undefined) {
    sent["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const answer = await readBody(resp);
  if (!resp.ok && resp.status !== 304) {
    const problem =
      answer && typeof answer === "object" ? answer : { detail: `HTTP ${resp.status}` };
    throw new ApiError(resp.status, problem, resp.headers);
  }
  return { status: resp.status, body: answer, headers: resp.headers };
}

async function readBody(resp) {
  const text = await resp.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

export const get = (path) => request("GET", path).then((r) => r.body);
export const post = (path, body = {}) => request("POST", path, { body });

/** Every item of a cursor-paged list route (the dashboard's lists are small). */
export async function getAll(path, { max = 1000 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const join = path.includes("?") ? "&" : "?";
    const page = await get(path + (cursor ? `${join}cursor=${encodeURIComponent(cursor)}` : ""));
    items.push(...(page.items || []));
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/** `/api/v1/guilds/{id}` + rest. */
export const guildPath = (guildId, rest = "") => `/api/v1/guilds/${guildId}${rest}`;
