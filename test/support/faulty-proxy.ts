import { AddressInfo } from 'node:net';
import { createServer, IncomingMessage, request, Server } from 'node:http';

/** What the proxy does with a request: pass it on, answer it itself, or drop the connection. */
export type Fault = 'pass' | 'drop' | { status: number; headers?: Record<string, string>; body?: unknown };

export interface ProxiedRequest {
  method: string;
  url: string;
  /** How many times this method and URL came before (0: the first attempt; a retry is 1 or more). */
  attempt: number;
  /** What the proxy did: the status answered, or 'drop'. */
  outcome: number | 'drop';
  at: number;
}

/**
 * An HTTP proxy in front of a test app, which can fail requests as a busy endpoint does: a status of
 * its choice (429 with Retry-After, 500) or a connection closed without an answer. `fault` decides
 * from the request and its attempt number. Counts the requests in flight at once.
 */
export class FaultyProxy {
  readonly log: ProxiedRequest[] = [];
  maxInFlight = 0;
  private inFlight = 0;
  private readonly attempts = new Map<string, number>();
  private server?: Server;

  constructor(
    private readonly target: string,
    private readonly fault: (request: IncomingMessage, attempt: number) => Fault,
  ) {}

  async start(): Promise<string> {
    const server = (this.server = createServer((req, res) => {
      const key = `${req.method} ${req.url}`;
      const attempt = this.attempts.get(key) ?? 0;
      this.attempts.set(key, attempt + 1);
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on('close', () => this.inFlight--);
      const entry: ProxiedRequest = { method: req.method ?? '', url: req.url ?? '', attempt, outcome: 'drop', at: Date.now() };
      this.log.push(entry);
      const fault = this.fault(req, attempt);
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault !== 'pass') {
        entry.outcome = fault.status;
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(JSON.stringify(fault.body ?? { error: { message: `injected ${fault.status}`, type: 'server_error', param: null, code: null } }));
        return;
      }
      const target = new URL(req.url ?? '/', this.target);
      const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        entry.outcome = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
