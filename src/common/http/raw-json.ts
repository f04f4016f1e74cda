/**
 * A json column's text, passed through as it is: PostgreSQL checked it when it was stored, so a
 * response can carry it without parsing it and serialising it again (responseJson splices the text).
 * Anything else that serialises it (JSON.stringify) or reads it (`parsed`) gets the parsed value.
 */
export class RawJson<T = unknown> {
  private parsedValue?: T;

  constructor(readonly text: string) {}

  get value(): T {
    return (this.parsedValue ??= JSON.parse(this.text) as T);
  }

  toJSON(): T {
    return this.value;
  }
}

/** A stored JSON value: parsed, or its text as read from the database. */
export type Stored<T> = T | RawJson<T>;

export const parsed = <T>(value: Stored<T>): T => (value instanceof RawJson ? value.value : value);

/** How a statement whose json columns are answered as read reads them (`statement(text, { readJson })`). */
export const readAsRawJson = (text: string): RawJson => new RawJson(text);

const OBJECT_PROTOTYPE = Object.prototype;

const omitted = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** How deep a body is walked: a list's envelope, its items, their fields; anything deeper JSON.stringify writes (faster). */
const WALKED_DEPTH = 3;

/** Object keys as JSON, `"key":`; the walked bodies' keys are the API's own, so the cache stays small (bounded anyway). */
const quotedKeys = new Map<string, string>();
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < 1000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Checked on every response: a loop over the fields rather than an array of them. */
function hasRawField(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const key in value) if ((value as Record<string, unknown>)[key] instanceof RawJson) return true;
  return false;
}

/**
 * A body that is RawJson, or carries it in its own fields, as a list item or in its first list
 * item's fields (a message, a page of messages, a stored conversation item or a page of them).
 */
function carriesRawJson(body: unknown): boolean {
  if (body instanceof RawJson || hasRawField(body)) return true;
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return false;
  for (let i = 0; i < data.length; i++) if (data[i] instanceof RawJson) return true;
  return hasRawField(data[0]);
}

/**
 * A response body as JSON text: what JSON.stringify gives, with the text of each RawJson spliced in
 * unparsed. Only a body that carries RawJson is walked (down to its list items' fields); any other
 * is JSON.stringify's, which is faster when there is nothing to splice.
 */
export function responseJson(body: unknown): string {
  return carriesRawJson(body) ? walk(body, 0) : JSON.stringify(body);
}

function walk(value: unknown, depth: number): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (value === null) return 'null';
  if (value instanceof RawJson) return value.text;
  if (depth >= WALKED_DEPTH) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ',';
      out += omitted(item) ? 'null' : walk(item, depth + 1);
    }
    return `${out}]`;
  }
  if (Object.getPrototypeOf(value) !== OBJECT_PROTOTYPE || typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  let out = '{';
  let first = true;
  // for...in: faster than Object.keys here, and the same keys for a plain object (the body parser refuses prototype keys).
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (omitted(item)) continue;
    if (!first) out += ',';
    first = false;
    out += quotedKey(key) + walk(item, depth + 1);
  }
  return `${out}}`;
}
