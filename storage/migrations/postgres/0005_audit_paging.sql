-- The web API pages a guild's audit trail (and one task's) newest first by id, so that
-- entries added while a client reads never shift its pages; these indexes serve that order.

CREATE INDEX audit_guild_id ON audit (guild_id, id);
CREATE INDEX audit_guild_task_id ON audit (guild_id, task_id, id);
