import { createServer, Server, Socket, connect } from 'node:net';

/**
 * How a cut looks to the service:
 * - `reset`: relayed connections are reset, new connections are accepted and reset at once
 *   (the database went away; the port still answers).
 * - `refuse`: relayed connections are reset and the relay stops listening, so connecting
 *   fails with ECONNREFUSED (nothing listens on the database port any more).
 */
export type CutMode = 'reset' | 'refuse';

/**
 * `stall`: a partition that fails nothing: relayed connections stay open but carry no more bytes,
 * and new connections are accepted and held without reaching the upstream.
 */
export type StallMode = 'stall';

/**
 * A TCP relay on 127.0.0.1 between a client (the service) and an upstream (PostgreSQL), that the
 * test can cut and restore. While it is up it forwards bytes both ways unchanged.
 */
export class TcpRelay {
  private server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private mode: 'up' | CutMode | StallMode = 'up';
  private readonly held = new Set<Socket>();
  /** Connections accepted while up, over the relay's lifetime. */
  accepted = 0;
  /** Connections turned away while cut (only counted in `reset` mode: `refuse` never sees them). */
  refused = 0;

  private constructor(
    readonly port: number,
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = this.newServer();
  }

  /** Starts a relay on a free loopback port (or `port`) forwarding to `upstreamHost:upstreamPort`. */
  static async start(upstreamHost: string, upstreamPort: number, port = 0): Promise<TcpRelay> {
    const relay = new TcpRelay(port, upstreamHost, upstreamPort);
    const bound = await relay.listen(port);
    (relay as { port: number }).port = bound;
    return relay;
  }

  get isUp(): boolean {
    return this.mode === 'up';
  }

  /** Relayed connections currently open. */
  get open(): number {
    return this.pairs.size;
  }

  /** Resets every relayed connection and turns away new ones until `restore()`. */
  async cut(mode: CutMode = 'reset'): Promise<void> {
    if (this.mode !== 'up') throw new Error(`relay already cut (${this.mode})`);
    this.mode = mode;
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pairs.clear();
    if (mode === 'refuse') await this.closeServer();
  }

  /** Stops forwarding without closing anything (see StallMode). */
  stall(): void {
    if (this.mode !== 'up') throw new Error(`relay already cut (${this.mode})`);
    this.mode = 'stall';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Accepts and forwards again. After a stall, the stalled connections are reset (as TCP would, in the end). */
  async restore(): Promise<void> {
    if (this.mode === 'up') return;
    if (this.mode === 'stall') {
      for (const socket of this.held) socket.resetAndDestroy();
      this.held.clear();
      for (const [client, upstream] of this.pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      this.pairs.clear();
    }
    const wasRefusing = this.mode === 'refuse';
    this.mode = 'up';
    if (wasRefusing) {
      this.server = this.newServer();
      await this.listen(this.port);
    }
  }

  /** Stops listening and closes every relayed connection. */
  async close(): Promise<void> {
    this.mode = 'refuse';
    for (const socket of this.held) socket.destroy();
    this.held.clear();
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await this.closeServer();
  }

  private newServer(): Server {
    const server = createServer((client) => this.onConnection(client));
    server.on('error', () => undefined);
    return server;
  }

  private listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError);
        const address = this.server.address();
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('relay: no address'));
      });
    });
  }

  private closeServer(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  private onConnection(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'stall') {
      this.held.add(client);
      client.pause();
      return;
    }
    if (this.mode !== 'up') {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const upstream = connect({ host: this.upstreamHost, port: this.upstreamPort });
    upstream.on('error', () => undefined);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
