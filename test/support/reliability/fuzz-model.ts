import type { Pool } from 'pg';
import type { FuzzCase, FuzzWorld, Tenant } from './fuzz-generator';

/**
 * What the database must hold after a fuzz run: exactly the rows the successful (2xx) answers
 * created, as they last modified them. Also the fuzz generator's view of live threads and messages.
 */

type Json = unknown;

interface ThreadModel {
  tenant: Tenant;
  metadata: Json;
  toolResources: Json;
}

interface MessageModel {
  threadId: string;
  tenant: Tenant;
  role: string;
  content: Json;
  attachments: Json;
  metadata: Json;
  /** md5 of the stored content, once the full content was compared. */
  contentMd5?: string;
}

interface FileModel {
  tenant: Tenant;
  bytes: number;
  filename: string;
  purpose: string;
  expiresAt: number | null;
}

const TENANT_NAMES: Record<Tenant, string> = { A: 'alpha', B: 'beta' };

/** JSON with object keys sorted: equal values give equal text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The stored (and answered) form of a request's message content. */
export function storedContent(content: unknown): unknown {
  if (typeof content === 'string') return [{ type: 'text', text: { value: content, annotations: [] } }];
  if (!Array.isArray(content)) return undefined;
  return content.map((part: Record<string, Record<string, unknown> & string>) => {
    if (part.type === 'text') return { type: 'text', text: { value: part.text, annotations: [] } };
    if (part.type === 'image_url') return { type: 'image_url', image_url: { url: part.image_url.url, detail: part.image_url.detail ?? 'auto' } };
    return { type: 'image_file', image_file: { file_id: part.image_file.file_id, detail: part.image_file.detail ?? 'auto' } };
  });
}

export class ModelStore implements FuzzWorld {
  private readonly threads = new Map<string, ThreadModel>();
  private readonly messages = new Map<string, MessageModel>();
  private readonly byTenant: Record<Tenant, string[]> = { A: [], B: [] };
  private readonly byThread = new Map<string, { id: string; fileIds: string[] }[]>();
  private readonly dead: { threads: string[]; messages: { threadId: string; id: string }[] } = { threads: [], messages: [] };
  private readonly seen = new Set<string>();
  private readonly keys = new Set<string>();
  private readonly files = new Map<string, FileModel>();
  private filesByTenant: Record<Tenant, string[]> = { A: [], B: [] };
  private deadFileIds: string[] = [];

  constructor(private readonly db: Pool) {}

  // ---- FuzzWorld ----

  liveThreads(tenant: Tenant): readonly string[] {
    return this.byTenant[tenant];
  }

  liveMessages(threadId: string): readonly { id: string; fileIds: readonly string[] }[] {
    return this.byThread.get(threadId) ?? [];
  }

  deadThreads(): readonly string[] {
    return this.dead.threads;
  }

  deadMessages(): readonly { threadId: string; id: string }[] {
    return this.dead.messages;
  }

  liveFiles(tenant: Tenant): readonly string[] {
    return this.filesByTenant[tenant];
  }

  deadFiles(): readonly string[] {
    return this.deadFileIds;
  }

  counts(): string {
    return `${this.threads.size} threads, ${this.messages.size} messages, ${this.files.size} files, ${this.keys.size} idempotency keys`;
  }

  /** A file as the API answered its upload. */
  addFile(body: Record<string, unknown>, tenant: Tenant): void {
    const id = body.id as string;
    this.seen.add(id);
    this.files.set(id, {
      tenant,
      bytes: body.bytes as number,
      filename: body.filename as string,
      purpose: body.purpose as string,
      expiresAt: (body.expires_at as number | null | undefined) ?? null,
    });
    this.filesByTenant[tenant].push(id);
  }

  private removeFile(id: string): void {
    const file = this.files.get(id);
    if (!file) return;
    this.files.delete(id);
    this.filesByTenant[file.tenant] = this.filesByTenant[file.tenant].filter((f) => f !== id);
    this.deadFileIds = [...this.deadFileIds.slice(-30), id];
  }

  /** The bytes of GET /files/{id}/content: as many as the upload stored, of a file of the tenant that asks. */
  checkContent(c: FuzzCase, content: Buffer): string[] {
    const file = c.fileId ? this.files.get(c.fileId) : undefined;
    if (!file || c.pathMutated) return [];
    if (file.tenant !== c.tenant) return [`content of tenant ${file.tenant}'s file ${c.fileId} answered to tenant ${c.tenant}`];
    return content.length === file.bytes ? [] : [`content of ${c.fileId}: ${content.length} bytes, the upload stored ${file.bytes}`];
  }

  /** Checks an answer of the Files API against the model: the file object as uploaded, of the tenant that asks. */
  private checkFile(what: string, body: Record<string, unknown>, tenant: Tenant): string[] {
    const file = this.files.get(body.id as string);
    if (!file) return [`${what}: file ${String(body.id)} that no success created`];
    if (file.tenant !== tenant) return [`${what}: file ${String(body.id)} of tenant ${file.tenant} answered to tenant ${tenant}`];
    const problems: string[] = [];
    if (body.object !== 'file') problems.push(`${what}: object ${String(body.object)}`);
    for (const [field, expected] of [
      ['bytes', file.bytes],
      ['filename', file.filename],
      ['purpose', file.purpose],
    ] as const) {
      if (body[field] !== expected) problems.push(`${what}: ${field} ${JSON.stringify(body[field])} differs from the upload's ${JSON.stringify(expected)}`);
    }
    return problems;
  }

  // ---- changes ----

  addThread(id: string, tenant: Tenant, metadata: Json, toolResources: Json): void {
    this.seen.add(id);
    this.threads.set(id, { tenant, metadata, toolResources: toolResources ?? {} });
    this.byTenant[tenant].push(id);
    this.byThread.set(id, []);
  }

  /** A message as the API answered it (v1 or v2 shape). */
  addMessage(body: Record<string, unknown>, tenant: Tenant): void {
    const id = body.id as string;
    const threadId = body.thread_id as string;
    const attachments = Array.isArray(body.attachments)
      ? body.attachments
      : ((body.file_ids as string[] | undefined) ?? []).map((file_id) => ({ file_id, tools: [] }));
    this.seen.add(id);
    this.messages.set(id, { threadId, tenant, role: body.role as string, content: body.content, attachments, metadata: body.metadata });
    const list = this.byThread.get(threadId) ?? [];
    list.push({ id, fileIds: (attachments as { file_id: string }[]).map((a) => a.file_id) });
    this.byThread.set(threadId, list);
  }

  private removeThread(id: string): void {
    const thread = this.threads.get(id);
    if (!thread) return;
    this.threads.delete(id);
    this.byTenant[thread.tenant] = this.byTenant[thread.tenant].filter((t) => t !== id);
    for (const message of this.byThread.get(id) ?? []) this.messages.delete(message.id);
    this.byThread.delete(id);
    this.dead.threads = [...this.dead.threads.slice(-30), id];
  }

  private removeMessage(id: string): void {
    const message = this.messages.get(id);
    if (!message) return;
    this.messages.delete(id);
    this.byThread.set(
      message.threadId,
      (this.byThread.get(message.threadId) ?? []).filter((m) => m.id !== id),
    );
    this.dead.messages = [...this.dead.messages.slice(-30), { threadId: message.threadId, id }];
  }

  /**
   * Records what a success changed, and checks that the answer is what the request asked for
   * (sent metadata and content come back as sent; a modify without metadata leaves it).
   */
  async applySuccess(c: FuzzCase, answer: unknown): Promise<string[]> {
    const problems: string[] = [];
    const body = asObject(answer);
    if (!body) return ['a success without a JSON object body'];
    // Detailed checks only where the request was meant to be valid and reached the service as sent.
    const sent = c.expect !== 'reject' ? asObject(c.effectiveBody) : undefined;
    const checkMetadata = (what: string, actual: unknown, before: unknown) => {
      if (!sent) return;
      if (isStringMap(sent.metadata)) {
        if (!same(actual, sent.metadata))
          problems.push(`${what}: metadata ${canonical(actual).slice(0, 80)} differs from the sent ${canonical(sent.metadata).slice(0, 80)}`);
      } else if ((sent.metadata === undefined || sent.metadata === null) && !same(actual, before)) {
        problems.push(`${what}: metadata became ${canonical(actual).slice(0, 80)} although none was sent`);
      }
    };
    switch (c.kind) {
      case 'createThread': {
        if (c.idempotencyKey) this.keys.add(`${TENANT_NAMES[c.tenant]} ${c.idempotencyKey}`);
        const id = body.id as string;
        if (this.seen.has(id)) break;
        this.addThread(id, c.tenant, body.metadata, body.tool_resources ?? {});
        checkMetadata('created thread', body.metadata, {});
        const { rows } = await this.db.query(`SELECT id, thread_id, role, content, attachments, metadata FROM messages WHERE thread_id = $1 ORDER BY seq`, [
          id,
        ]);
        const sentMessages = sent ? (Array.isArray(sent.messages) ? (sent.messages as Record<string, unknown>[]) : []) : undefined;
        if (sentMessages && rows.length !== sentMessages.length) problems.push(`thread created with ${rows.length} messages, ${sentMessages.length} sent`);
        rows.forEach((row, i) => {
          const fileIds = (row.attachments as { file_id: string }[]).map((a) => a.file_id);
          this.addMessage(
            {
              id: row.id,
              thread_id: row.thread_id,
              role: row.role,
              content: row.content,
              attachments: row.attachments,
              metadata: row.metadata,
              file_ids: fileIds,
            },
            c.tenant,
          );
          const expected = sentMessages?.[i];
          if (!expected) return;
          if (row.role !== expected.role) problems.push(`thread message ${i}: role ${row.role}, sent ${String(expected.role)}`);
          if (!same(row.content, storedContent(expected.content))) problems.push(`thread message ${i}: content differs from the sent one`);
          if (isStringMap(expected.metadata) && !same(row.metadata, expected.metadata))
            problems.push(`thread message ${i}: metadata differs from the sent one`);
        });
        break;
      }
      case 'modifyThread': {
        const thread = this.threads.get(body.id as string);
        if (!thread) {
          problems.push(`modified thread ${String(body.id)} that no success created`);
          break;
        }
        checkMetadata('modified thread', body.metadata, thread.metadata);
        thread.metadata = body.metadata;
        if ('tool_resources' in body) thread.toolResources = body.tool_resources;
        break;
      }
      case 'deleteThread':
        this.removeThread((body.id as string) ?? c.threadId);
        break;
      case 'createMessage': {
        if (c.idempotencyKey) this.keys.add(`${TENANT_NAMES[c.tenant]} ${c.idempotencyKey}`);
        const id = body.id as string;
        if (this.seen.has(id)) break;
        const thread = this.threads.get(body.thread_id as string);
        if (!thread) problems.push(`message created in thread ${String(body.thread_id)} that no success created`);
        this.addMessage(body, thread?.tenant ?? c.tenant);
        const added = this.messages.get(id) as MessageModel;
        if (sent && storedContent(sent.content) !== undefined) added.content = storedContent(sent.content);
        if (sent) {
          if (body.role !== sent.role) problems.push(`created message: role ${String(body.role)}, sent ${String(sent.role)}`);
          if (!same(body.content, storedContent(sent.content))) problems.push('created message: content differs from the sent one');
          checkMetadata('created message', body.metadata, {});
          if (Array.isArray(sent.file_ids) && !same(body.file_ids, sent.file_ids)) problems.push('created message: file_ids differ from the sent ones');
          if (Array.isArray(sent.attachments) && !same(body.attachments, sent.attachments))
            problems.push('created message: attachments differ from the sent ones');
        }
        break;
      }
      case 'modifyMessage': {
        const message = this.messages.get(body.id as string);
        if (!message) {
          problems.push(`modified message ${String(body.id)} that no success created`);
          break;
        }
        checkMetadata('modified message', body.metadata, message.metadata);
        message.metadata = body.metadata;
        break;
      }
      case 'deleteMessage':
        this.removeMessage((body.id as string) ?? c.messageId);
        break;
      case 'uploadFile': {
        const id = body.id as string;
        if (typeof id !== 'string' || !/^file-[A-Za-z0-9]{24}$/.test(id)) {
          problems.push(`uploaded file with id ${JSON.stringify(body.id)}`);
          break;
        }
        if (this.seen.has(id)) {
          problems.push(`upload answered with the existing file ${id}`);
          break;
        }
        this.addFile(body, c.tenant);
        if (c.upload) {
          if (body.bytes !== c.upload.bytes) problems.push(`uploaded file: bytes ${String(body.bytes)}, sent ${c.upload.bytes}`);
          if (body.filename !== c.upload.filename)
            problems.push(`uploaded file: filename ${JSON.stringify(body.filename)}, sent ${JSON.stringify(c.upload.filename)}`);
          if (body.purpose !== c.upload.purpose) problems.push(`uploaded file: purpose ${String(body.purpose)}, sent ${c.upload.purpose}`);
          // A batch file sent without expires_after expires after 30 days, as the API's default.
          const expiresAfter = c.upload.expiresAfter ?? (c.upload.purpose === 'batch' ? 30 * 24 * 3600 : undefined);
          const expiresAt = expiresAfter === undefined ? undefined : (body.created_at as number) + expiresAfter;
          if (body.expires_at !== expiresAt && !(expiresAt === undefined && body.expires_at === null))
            problems.push(`uploaded file: expires_at ${String(body.expires_at)}, expected ${String(expiresAt)}`);
        }
        break;
      }
      case 'getFileObject':
        if (!c.pathMutated) problems.push(...this.checkFile('retrieved file', body, c.tenant));
        break;
      case 'deleteFileObject': {
        const file = this.files.get(body.id as string);
        if (!file) problems.push(`deleted file ${String(body.id)} that no success created`);
        else if (file.tenant !== c.tenant) problems.push(`tenant ${c.tenant} deleted file ${String(body.id)} of tenant ${file.tenant}`);
        if (body.deleted !== true || body.object !== 'file') problems.push(`deleted file answered ${canonical(body).slice(0, 80)}`);
        this.removeFile(body.id as string);
        break;
      }
      case 'listFileObjects':
        if (body.object !== 'list' || !Array.isArray(body.data)) {
          problems.push(`files list answered ${canonical(body).slice(0, 80)}`);
          break;
        }
        for (const item of body.data as Record<string, unknown>[]) problems.push(...this.checkFile('listed file', item, c.tenant));
        break;
      case 'getThread': {
        const thread = this.threads.get(body.id as string);
        if (thread && !same(body.metadata, thread.metadata))
          problems.push(
            `retrieved thread metadata ${canonical(body.metadata).slice(0, 80)} differs ` +
              `from what the successes wrote ${canonical(thread.metadata).slice(0, 80)}`,
          );
        break;
      }
      case 'getMessage': {
        const message = this.messages.get(body.id as string);
        if (!message || c.pathMutated) break;
        // v1 has no image_url parts: the v1 shape leaves them out.
        const content =
          c.shape === 'v1' && Array.isArray(message.content) ? message.content.filter((part: { type?: string }) => part.type !== 'image_url') : message.content;
        if (!same(body.metadata, message.metadata))
          problems.push(
            `retrieved message metadata ${canonical(body.metadata).slice(0, 80)} differs ` +
              `from what the successes wrote ${canonical(message.metadata).slice(0, 80)}`,
          );
        if (!same(body.content, content))
          problems.push(
            `retrieved message content ${canonical(body.content).slice(0, 120)} differs from what the successes wrote ${canonical(content).slice(0, 120)}`,
          );
        break;
      }
      case 'listMessages':
        for (const item of (body.data as Record<string, unknown>[] | undefined) ?? []) {
          const message = this.messages.get(item.id as string);
          if (!message) problems.push(`listed message ${String(item.id)} that no success created`);
          else if (c.threadId && message.threadId !== c.threadId) problems.push(`listed message ${String(item.id)} of another thread`);
        }
        break;
      default:
        break;
    }
    return problems;
  }

  /**
   * The tables against the model: every row was created by a success and is as the successes left
   * it; every acknowledged row is there. Each discrepancy is reported once (the model then follows
   * the database).
   */
  async compareWithDatabase(): Promise<string[]> {
    const problems: string[] = [];
    const threads = await this.db.query(`SELECT id, tenant_id, metadata, tool_resources FROM threads`);
    const threadIds = new Set<string>();
    for (const row of threads.rows) {
      threadIds.add(row.id);
      const model = this.threads.get(row.id);
      if (!model) {
        problems.push(`thread ${row.id} (tenant ${row.tenant_id}) is in the database but no success created it`);
        this.addThread(row.id, row.tenant_id === 'beta' ? 'B' : 'A', row.metadata, row.tool_resources);
        continue;
      }
      if (row.tenant_id !== TENANT_NAMES[model.tenant])
        problems.push(`thread ${row.id} belongs to tenant ${row.tenant_id}, expected ${TENANT_NAMES[model.tenant]}`);
      if (!same(row.metadata, model.metadata))
        problems.push(`thread ${row.id} metadata ${canonical(row.metadata).slice(0, 80)} differs from the model ${canonical(model.metadata).slice(0, 80)}`);
      if (!same(row.tool_resources, model.toolResources))
        problems.push(`thread ${row.id} tool_resources ${canonical(row.tool_resources)} differ from the model ${canonical(model.toolResources)}`);
      model.metadata = row.metadata;
      model.toolResources = row.tool_resources;
    }
    for (const id of [...this.threads.keys()]) {
      if (!threadIds.has(id)) {
        problems.push(`thread ${id} was acknowledged but is missing from the database`);
        this.removeThread(id);
      }
    }

    const messages = await this.db.query(`SELECT id, thread_id, tenant_id, role, md5(content::text) AS content_md5, attachments, metadata FROM messages`);
    const messageIds = new Set<string>();
    const unverified: string[] = [];
    for (const row of messages.rows) {
      messageIds.add(row.id);
      const model = this.messages.get(row.id);
      if (!model) {
        problems.push(`message ${row.id} (thread ${row.thread_id}) is in the database but no success created it`);
        continue;
      }
      if (row.thread_id !== model.threadId) problems.push(`message ${row.id} is in thread ${row.thread_id}, expected ${model.threadId}`);
      if (row.tenant_id !== TENANT_NAMES[model.tenant]) problems.push(`message ${row.id} belongs to tenant ${row.tenant_id}`);
      if (row.role !== model.role) problems.push(`message ${row.id} role ${row.role} differs from the model ${model.role}`);
      if (!same(row.metadata, model.metadata))
        problems.push(`message ${row.id} metadata ${canonical(row.metadata).slice(0, 80)} differs from the model ${canonical(model.metadata).slice(0, 80)}`);
      if (!same(row.attachments, model.attachments))
        problems.push(
          `message ${row.id} attachments ${canonical(row.attachments).slice(0, 80)} differ from the model ${canonical(model.attachments).slice(0, 80)}`,
        );
      model.metadata = row.metadata;
      model.attachments = row.attachments;
      if (model.contentMd5 === undefined) unverified.push(row.id);
      else if (model.contentMd5 !== row.content_md5) problems.push(`message ${row.id} content changed after it was created`);
    }
    if (unverified.length > 0) {
      const full = await this.db.query(`SELECT id, content, md5(content::text) AS content_md5 FROM messages WHERE id = ANY($1)`, [unverified]);
      for (const row of full.rows) {
        const model = this.messages.get(row.id) as MessageModel;
        if (!same(row.content, model.content))
          problems.push(`message ${row.id} content ${canonical(row.content).slice(0, 80)} differs from the answer ${canonical(model.content).slice(0, 80)}`);
        model.content = row.content;
        model.contentMd5 = row.content_md5;
      }
    }
    for (const row of messages.rows) {
      if (!this.messages.has(row.id)) {
        const content = await this.db.query(`SELECT content FROM messages WHERE id = $1`, [row.id]);
        this.addMessage({ ...row, content: content.rows[0]?.content }, row.tenant_id === 'beta' ? 'B' : 'A');
      }
    }
    for (const id of [...this.messages.keys()]) {
      if (!messageIds.has(id)) {
        problems.push(`message ${id} was acknowledged but is missing from the database`);
        this.removeMessage(id);
      }
    }

    const files = await this.db
      .query(`SELECT id, tenant_id, bytes::int, filename, purpose, (SELECT count(*)::int FROM file_chunks c WHERE c.file_id = f.id) AS chunks,
      (SELECT coalesce(sum(length(c.data)), 0)::int FROM file_chunks c WHERE c.file_id = f.id) AS stored FROM files f`);
    const fileIds = new Set<string>();
    for (const row of files.rows) {
      fileIds.add(row.id);
      const model = this.files.get(row.id);
      if (!model) {
        problems.push(`file ${row.id} (tenant ${row.tenant_id}) is in the database but no success created it`);
        this.addFile(row, row.tenant_id === 'beta' ? 'B' : 'A');
        continue;
      }
      if (row.tenant_id !== TENANT_NAMES[model.tenant])
        problems.push(`file ${row.id} belongs to tenant ${row.tenant_id}, expected ${TENANT_NAMES[model.tenant]}`);
      if (row.bytes !== model.bytes || row.stored !== model.bytes)
        problems.push(`file ${row.id} holds ${row.stored} bytes (row: ${row.bytes}), the upload answered ${model.bytes}`);
      if (row.filename !== model.filename || row.purpose !== model.purpose) problems.push(`file ${row.id} filename or purpose differ from the upload's answer`);
    }
    for (const id of [...this.files.keys()]) {
      if (!fileIds.has(id)) {
        problems.push(`file ${id} was acknowledged but is missing from the database`);
        this.removeFile(id);
      }
    }
    const orphans = await this.db.query(`SELECT count(*)::int AS n FROM file_chunks c WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = c.file_id)`);
    if (orphans.rows[0].n > 0) problems.push(`${orphans.rows[0].n} file chunks belong to no file`);

    const keys = await this.db.query(`SELECT tenant_id, key FROM idempotency_keys`);
    const stored = new Set(keys.rows.map((row) => `${row.tenant_id} ${row.key}`));
    for (const key of stored) {
      if (!this.keys.has(key)) {
        problems.push(`idempotency key '${key}' is stored but no success used it`);
        this.keys.add(key);
      }
    }
    for (const key of [...this.keys]) {
      if (!stored.has(key)) {
        problems.push(`idempotency key '${key}' of a success is missing`);
        this.keys.delete(key);
      }
    }
    return problems;
  }
}
