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

const SAFE_KEY = /^[A-Za-z0-9_$ .:/-]*$/;
const OBJECT_PROTOTYPE = Object.prototype;

const omitted = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

/**
 * A response body as JSON text: what JSON.stringify gives, with each RawJson's text spliced in
 * unparsed. Plain objects and arrays are walked; any other object (an error, a Date) is left to
 * JSON.stringify.
 */
export function responseJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? `${value}` : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof RawJson) return value.text;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          out += (i === 0 ? '' : ',') + (omitted(item) ? 'null' : responseJson(item));
        }
        return `${out}]`;
      }
      if (Object.getPrototypeOf(value) !== OBJECT_PROTOTYPE || typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
      let out = '{';
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (omitted(item)) continue;
        out += `${out.length === 1 ? '' : ','}${SAFE_KEY.test(key) ? `"${key}"` : JSON.stringify(key)}:${responseJson(item)}`;
      }
      return `${out}}`;
    }
    default:
      return JSON.stringify(value);
  }
}
