/** A small client of the API for seeding and for checking answers (not for load: that is autocannon). */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' };
  }

  /** Status and raw body text. */
  async raw(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: body === undefined ? { authorization: this.headers.authorization } : this.headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, text: await response.text() };
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const { status, text } = await this.raw(method, path, body);
    if (status !== 200) throw new Error(`${method} ${path} answered ${status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}

export interface ThreadObject {
  id: string;
}

export interface MessageObject {
  id: string;
  object: string;
  thread_id: string;
}

export interface MessageList {
  object: 'list';
  data: MessageObject[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Every message id of a thread in creation order, paging through the API (limit 100, order asc). */
export async function allMessageIds(api: Api, threadId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await api.call<MessageList>('GET', `/v1/threads/${threadId}/messages?limit=100&order=asc${after ? `&after=${after}` : ''}`);
    ids.push(...page.data.map((m) => m.id));
    if (!page.has_more || !page.last_id) return ids;
    after = page.last_id;
  }
}
