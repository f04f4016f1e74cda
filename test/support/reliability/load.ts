import { Agent } from 'node:http';
import { jsonOf, RawOutcome, RawRequest, sendRaw } from './raw-http';

export interface Sample extends RawOutcome {
  client: number;
  kind: string;
  /** The id of the object a successful create returned. */
  id?: string;
}

export interface LoadOptions {
  clients: number;
  /** The next request of a client. */
  next: (client: number, n: number) => { kind: string; request: RawRequest };
  /** One kept-alive connection per client (an Agent with maxSockets 1) instead of a connection per request. */
  keepAlive?: boolean;
  /** A client stops after a sample for which this returns true. */
  stopAfter?: (sample: Sample) => boolean;
  /** A client stops once it has sent this many requests. */
  maxPerClient?: number;
}

/**
 * Closed-loop load: each client sends its next request as soon as the previous one is answered,
 * until `stop()` (or its own stop condition). Every outcome is kept with its timings.
 */
export class Load {
  readonly samples: Sample[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly agents: Agent[] = [];

  constructor(
    private readonly port: number,
    private readonly options: LoadOptions,
  ) {}

  start(): this {
    for (let client = 0; client < this.options.clients; client++) {
      const agent = this.options.keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
      if (agent) this.agents.push(agent);
      this.loops.push(this.loop(client, agent));
    }
    return this;
  }

  private async loop(client: number, agent: Agent | undefined): Promise<void> {
    for (let n = 0; !this.stopped && n < (this.options.maxPerClient ?? Infinity); n++) {
      const { kind, request } = this.options.next(client, n);
      const outcome = await sendRaw(this.port, { ...request, agent: agent ?? false });
      const status = outcome.response?.status;
      const body = status !== undefined && status >= 200 && status < 300 ? (jsonOf(outcome.response) as { id?: string } | undefined) : undefined;
      const sample: Sample = { ...outcome, client, kind, id: body?.id };
      this.samples.push(sample);
      if (this.options.stopAfter?.(sample)) return;
    }
  }

  /** Successful samples of a kind. */
  ok(kind?: string): Sample[] {
    return this.samples.filter((s) => (kind === undefined || s.kind === kind) && s.response && s.response.status >= 200 && s.response.status < 300);
  }

  /** Asks every client to stop after its current request, and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const agent of this.agents) agent.destroy();
  }

  /** Waits for the clients to stop by themselves (stopAfter / maxPerClient). */
  async finished(): Promise<void> {
    await Promise.all(this.loops);
    for (const agent of this.agents) agent.destroy();
  }
}
