/**
 * The message columns under MessageRecord's property names: a selected row is a MessageRecord
 * (the order key `seq` and the tenant are never selected).
 */
export function messageColumns(alias: string): string {
  return [
    `${alias}.id`,
    `${alias}.thread_id AS "threadId"`,
    `${alias}.created_at AS "createdAt"`,
    `${alias}.role`,
    `${alias}.content`,
    `${alias}.attachments`,
    `${alias}.assistant_id AS "assistantId"`,
    `${alias}.run_id AS "runId"`,
    `${alias}.status`,
    `${alias}.incomplete_details AS "incompleteDetails"`,
    `${alias}.completed_at AS "completedAt"`,
    `${alias}.incomplete_at AS "incompleteAt"`,
    `${alias}.metadata`,
  ].join(', ');
}
