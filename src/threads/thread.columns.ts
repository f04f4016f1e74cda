/** The thread columns under the entity's property names, so that a row is a ThreadEntity. */
export const THREAD_COLUMNS = `id, created_at AS "createdAt", metadata, tool_resources AS "toolResources"`;
