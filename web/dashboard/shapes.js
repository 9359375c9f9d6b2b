// What the dashboard reads from the guild-level routes, in one place: channels (with what the
// bot lacks there) and the readable form of a task's schedule and destinations.

import { ApiError, get, getAll, guildPath } from "./api.js";

/** A channel of /channels: {id, name, type, parentId, lacks: ["send messages", ...]}. */
function channelShape(c) {
  const raw = c.missing ?? c.lacks ?? c.bot_lacks ?? c.missing_permissions ?? [];
  const names = Array.isArray(raw) ? raw : Object.keys(raw).filter((k) => raw[k]);
  return {
    id: String(c.id),
    name: c.name || String(c.id),
    type: c.type || "text",
    parentId: c.parent_id ? String(c.parent_id) : null,
    lacks: names.map((name) => String(name).replaceAll("_", " ")),
  };
}

/** The guild's channels where a task may post; [] when the server cannot list them. */
export async function loadChannels(guildId) {
  try {
    return (await getAll(guildPath(guildId, "/channels"))).map(channelShape);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return [];
    throw err;
  }
}

/** "#general", or the id when the channel is unknown. */
export function channelLabel(channels, id) {
  const found = channels.find((c) => c.id === String(id));
  return found ? `#${found.name}` : `channel ${id}`;
}

/** Where a task posts, in words. */
export function destinationsText(task, channels) {
  return (task.destinations || [])
    .map((d) => {
      const where = channelLabel(channels, d.thread_id || d.channel_id);
      return d.type === "webhook" ? `${where} (webhook${d.name ? ` as ${d.name}` : ""})` : where;
    })
    .join(", ");
}

export const KIND_WORDS = { cron: "cron", date: "once", interval: "every" };

/** A preview answer, whatever its field names: {spec, description, nextRuns: [iso]}. */
export function previewShape(body) {
  const runs = body.next ?? body.next_runs ?? body.instants ?? body.runs ?? [];
  return {
    spec: body.spec ?? null,
    description: body.description ?? body.readable ?? body.sentence ?? body.summary ?? "",
    nextRuns: runs.map((r) => (typeof r === "string" ? r : r.at || r.instant || r.scheduled_at)),
  };
}

/** The instants of /upcoming, as ISO strings. */
export async function upcoming(guildId, taskId, count) {
  const body = await get(guildPath(guildId, `/tasks/${taskId}/upcoming?count=${count}`));
  const items = Array.isArray(body)
    ? body
    : body.items ?? body.upcoming ?? body.next ?? body.next_runs ?? [];
  return items.map((r) => (typeof r === "string" ? r : r.at || r.instant || r.scheduled_at));
}
