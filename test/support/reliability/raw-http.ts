import { Agent, IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Sent as given: percent-encode what must be encoded. */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Send the body with `Transfer-Encoding: chunked` (in two chunks) instead of a Content-Length. */
  chunked?: boolean;
  /** A connection error is reported after this long without a complete response (default 10 s). */
  timeoutMs?: number;
  agent?: Agent | false;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawOutcome {
  response?: RawResponse;
  /** A connection error, a truncated response or a timeout: `code` is the errno code, or `TIMEOUT`/`TRUNCATED`. */
  error?: { code: string; message: string };
  /** Milliseconds since the epoch. */
  startedAt: number;
  /** The request (headers and body) was handed to the socket. */
  sentAt?: number;
  /** Response headers arrived. */
  headersAt?: number;
  endedAt: number;
  /** The request went out on a kept-alive connection that had carried an earlier request. */
  reusedSocket: boolean;
}

export const elapsed = (outcome: RawOutcome): number => outcome.endedAt - outcome.startedAt;

/**
 * One HTTP/1.1 request to 127.0.0.1:`port` with exactly the given method, path, headers and body
 * bytes (Content-Length is added for a body unless chunked). Never rejects: a connection error or
 * timeout is reported in the outcome.
 */
export function sendRaw(port: number, raw: RawRequest): Promise<RawOutcome> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    let sentAt: number | undefined;
    let headersAt: number | undefined;
    let reusedSocket = false;
    const finish = (outcome: Omit<RawOutcome, 'startedAt' | 'endedAt' | 'sentAt' | 'headersAt' | 'reusedSocket'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, startedAt, sentAt, headersAt, endedAt: Date.now(), reusedSocket });
    };
    const body = raw.body === undefined ? undefined : Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(raw.body, 'utf8');
    const headers: Record<string, string | string[]> = { ...(raw.headers ?? {}) };
    const hasHeader = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
    if (body !== undefined && !raw.chunked && !hasHeader('content-length')) headers['Content-Length'] = String(body.length);
    if (raw.chunked && !hasHeader('transfer-encoding')) headers['Transfer-Encoding'] = 'chunked';
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: '127.0.0.1', port, method: raw.method, path: raw.path, headers, agent: raw.agent ?? false, setHost: true });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      finish({ error: { code: err.code ?? 'CLIENT_REFUSED', message: err.message } });
      return;
    }
    const timer = setTimeout(() => {
      finish({ error: { code: 'TIMEOUT', message: `no complete response within ${raw.timeoutMs ?? 10000} ms` } });
      req.destroy();
    }, raw.timeoutMs ?? 10000);
    req.on('socket', (socket) => {
      reusedSocket = req.reusedSocket;
      socket.setNoDelay(true);
    });
    req.on('finish', () => (sentAt = Date.now()));
    req.on('error', (error: NodeJS.ErrnoException) => finish({ error: { code: error.code ?? 'ERROR', message: error.message } }));
    req.on('response', (res) => {
      headersAt = Date.now();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('aborted', () => finish({ error: { code: 'TRUNCATED', message: `response aborted after headers (${res.statusCode})` } }));
      res.on('error', (error: NodeJS.ErrnoException) => finish({ error: { code: error.code ?? 'TRUNCATED', message: error.message } }));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        finish({ response: { status: res.statusCode ?? 0, headers: res.headers, body: buffer, text: buffer.toString('utf8') } });
      });
    });
    if (body === undefined) {
      req.end();
    } else if (raw.chunked && body.length > 1) {
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else {
      req.end(body);
    }
  });
}

/** Parses a response body as JSON, or undefined. */
export function jsonOf(response: RawResponse | undefined): unknown {
  if (!response) return undefined;
  try {
    return JSON.parse(response.text);
  } catch {
    return undefined;
  }
}

/** What is wrong with a response as an error envelope `{"error":{"message","type","param","code"}}`, or undefined. */
export function envelopeProblem(response: RawResponse, options: { azureAuth?: boolean } = {}): string | undefined {
  const type = response.headers['content-type'] ?? '';
  if (!/^application\/json/.test(type)) return `content-type '${type}' is not application/json`;
  const body = jsonOf(response) as { error?: Record<string, unknown> } | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `body is not a JSON object: ${response.text.slice(0, 120)}`;
  if (Object.keys(body).join() !== 'error') return `top-level keys are [${Object.keys(body).join(', ')}], expected [error]`;
  const error = body.error;
  if (!error || typeof error !== 'object') return 'error is not an object';
  // Azure answers a rejected key with its own body: {"error":{"code":"401","message":"..."}}.
  if (options.azureAuth && response.status === 401) {
    return typeof error.code === 'string' && typeof error.message === 'string' ? undefined : `azure 401 body malformed: ${response.text.slice(0, 120)}`;
  }
  const keys = Object.keys(error).sort().join();
  if (keys !== 'code,message,param,type') return `error keys are [${keys}]`;
  if (typeof error.message !== 'string' || error.message.length === 0) return 'error.message is not a non-empty string';
  if (typeof error.type !== 'string') return 'error.type is not a string';
  if (error.param !== null && typeof error.param !== 'string') return 'error.param is neither null nor a string';
  if (error.code !== null && typeof error.code !== 'string') return 'error.code is neither null nor a string';
  return undefined;
}

export interface PartialRequest {
  /** Sends the rest of the request and resolves with the response read off the socket. */
  complete(rest: string): Promise<RawResponse>;
  destroy(): void;
}

/**
 * Opens a connection and sends only the start of a request (e.g. the request line and some
 * headers, without the blank line that ends them): the server sees a request in progress on
 * that connection, not an idle one.
 */
export function startPartialRequest(port: number, head: string): Promise<PartialRequest> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let waiter: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | undefined;
    const tryParse = (final: boolean) => {
      if (!waiter) return;
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        if (final) waiter.reject(new Error(`connection closed before a response: ${JSON.stringify(data.toString('latin1'))}`));
        return;
      }
      const lines = data.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
      const headers: IncomingHttpHeaders = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = data.subarray(end + 4);
      const length = Number(headers['content-length'] ?? NaN);
      if (Number.isFinite(length) ? body.length >= length : final) {
        const exact = Number.isFinite(length) ? body.subarray(0, length) : body;
        waiter.resolve({ status, headers, body: exact, text: exact.toString('utf8') });
        waiter = undefined;
      } else if (final) {
        waiter.reject(new Error(`connection closed after ${body.length} of ${length} body bytes`));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.on('error', (error) => {
      if (waiter) waiter.reject(error);
      else reject(error);
    });
    socket.once('connect', () => {
      socket.setNoDelay(true);
      socket.write(head, () =>
        resolve({
          complete: (rest) =>
            new Promise<RawResponse>((ok, fail) => {
              waiter = { resolve: ok, reject: fail };
              socket.write(rest);
              tryParse(false);
            }),
          destroy: () => socket.destroy(),
        }),
      );
    });
  });
}
