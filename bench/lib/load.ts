import autocannon from 'autocannon';
import { Agent, request } from 'node:http';

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** What one scenario sends: a request, or a list of requests each connection cycles through (from its own offset). */
export interface LoadPlan {
  requests: HttpRequest[];
  headers: Record<string, string>;
}

export interface LatencyFigures {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadStats {
  /** Wall time of the run, in seconds. */
  seconds: number;
  /** Completed responses, any status. */
  responses: number;
  requestsPerSecond: number;
  /** Latency of the 2xx responses, in milliseconds (high-resolution, from autocannon's per-response timings). */
  latencyMs: LatencyFigures;
  non2xx: number;
  /** Connection errors and timeouts, as counted by autocannon. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  errorSamples: string[];
}

const running = new Set<{ stop(): void }>();
let aborted = false;

/** Raised by a load run once the benchmark is stopping. */
export class StoppingError extends Error {
  constructor() {
    super('the benchmark is stopping');
  }
}

/** Stops every load generator that is running (the end of a seeding budget). */
export function stopAllLoad(): void {
  for (const instance of running) instance.stop();
}

/** Stops every load generator for good (Ctrl-C, watchdog, failure): later runs fail at once. */
export function abortAllLoad(): void {
  aborted = true;
  stopAllLoad();
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Keeps the first five distinct error messages of a run. */
function noteError(samples: string[], message: string): void {
  if (samples.length < 5 && !samples.includes(message)) samples.push(message);
}

/** Two decimals, as the reports print figures. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;

export function latencyFigures(samples: number[]): LatencyFigures {
  const sorted = Float64Array.from(samples).sort();
  const sum = samples.reduce((total, value) => total + value, 0);
  return {
    p50: round2(percentile(sorted, 50)),
    p90: round2(percentile(sorted, 90)),
    p99: round2(percentile(sorted, 99)),
    max: round2(sorted.length ? sorted[sorted.length - 1] : 0),
    mean: round2(samples.length ? sum / samples.length : 0),
  };
}

/** The plan's requests rotated by `offset`, as fresh objects (autocannon writes its encoded buffer into them). */
function rotated(requests: HttpRequest[], offset: number): autocannon.Request[] {
  const out: autocannon.Request[] = [];
  for (let i = 0; i < requests.length; i++) {
    const request = requests[(offset + i) % requests.length];
    out.push({ method: request.method, path: request.path, body: request.body });
  }
  return out;
}

interface RawRun {
  result: autocannon.Result;
  latencies: number[];
  responses: number;
  statusCodes: Record<string, number>;
  errorSamples: string[];
}

function runOne(baseUrl: string, plan: LoadPlan, connections: number, until: { seconds: number } | { amount: number }): Promise<RawRun> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const errorSamples: string[] = [];
  let responses = 0;
  let clientIndex = 0;
  const stride = Math.max(1, Math.floor(plan.requests.length / Math.max(1, connections)));
  const first = plan.requests[0];
  const instance = autocannon(
    {
      url: baseUrl + first.path,
      connections,
      ...('seconds' in until ? { duration: until.seconds } : { amount: until.amount }),
      timeout: 10,
      headers: plan.headers,
      method: first.method,
      body: first.body,
      requests: rotated(plan.requests, 0),
      setupClient: (client: autocannon.Client) => {
        if (plan.requests.length > 1) client.setRequests(rotated(plan.requests, (clientIndex++ * stride) % plan.requests.length));
      },
    },
    () => undefined,
  );
  running.add(instance);
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    responses++;
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  instance.on('reqError', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    noteError(errorSamples, message);
  });
  return new Promise((resolveRun, reject) => {
    instance.once('done', (result: autocannon.Result) => {
      running.delete(instance);
      if (aborted) return reject(new StoppingError());
      resolveRun({ result, latencies, responses, statusCodes, errorSamples });
    });
    instance.once('error', (error: unknown) => {
      running.delete(instance);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** One measured run: its figures and the raw 2xx latencies (to merge rounds exactly). */
export interface LoadRun {
  stats: LoadStats;
  samples: number[];
}

/**
 * Runs the plan against one or more base URLs at once (the connections split between them), for a
 * duration or an amount of requests, and merges the figures.
 */
export async function runLoad(baseUrls: string[], plan: LoadPlan, connections: number, until: { seconds: number } | { amount: number }): Promise<LoadRun> {
  if (aborted) throw new StoppingError();
  const started = process.hrtime.bigint();
  const runs = await Promise.all(
    baseUrls.map((url, i) => {
      const share = Math.floor(connections / baseUrls.length) + (i < connections % baseUrls.length ? 1 : 0);
      const part = 'amount' in until ? { amount: Math.ceil(until.amount / baseUrls.length) } : until;
      return runOne(url, plan, share, part);
    }),
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  // autocannon's own duration excludes connection set-up; the slowest instance bounds a parallel run.
  const seconds = Math.max(...runs.map((run) => run.result.duration)) || wall;
  const statusCodes: Record<string, number> = {};
  for (const run of runs) for (const [code, count] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const samples = runs.flatMap((run) => run.latencies);
  return {
    samples,
    stats: summarise(
      seconds,
      runs.reduce((total, run) => total + run.responses, 0),
      samples,
      {
        non2xx: runs.reduce((total, run) => total + run.result.non2xx, 0),
        errors: runs.reduce((total, run) => total + run.result.errors, 0),
        timeouts: runs.reduce((total, run) => total + run.result.timeouts, 0),
        statusCodes,
        errorSamples: [...new Set(runs.flatMap((run) => run.errorSamples))].slice(0, 5),
      },
    ),
  };
}

type Counts = Pick<LoadStats, 'non2xx' | 'errors' | 'timeouts' | 'statusCodes' | 'errorSamples'>;

function summarise(seconds: number, responses: number, samples: number[], counts: Counts): LoadStats {
  return {
    seconds: round2(seconds),
    responses,
    requestsPerSecond: seconds > 0 ? Math.round((responses / seconds) * 10) / 10 : 0,
    latencyMs: latencyFigures(samples),
    ...counts,
  };
}

/** Several runs of one scenario on one target (the alternating rounds) as one: time and counts added, latencies pooled. */
export function combineRuns(runs: LoadRun[]): LoadRun {
  if (runs.length === 1) return runs[0];
  const statusCodes: Record<string, number> = {};
  for (const run of runs) for (const [code, count] of Object.entries(run.stats.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  const samples = runs.flatMap((run) => run.samples);
  const sum = (pick: (stats: LoadStats) => number) => runs.reduce((total, run) => total + pick(run.stats), 0);
  return {
    samples,
    stats: summarise(
      sum((s) => s.seconds),
      sum((s) => s.responses),
      samples,
      {
        non2xx: sum((s) => s.non2xx),
        errors: sum((s) => s.errors),
        timeouts: sum((s) => s.timeouts),
        statusCodes,
        errorSamples: [...new Set(runs.flatMap((run) => run.stats.errorSamples))].slice(0, 5),
      },
    ),
  };
}

/**
 * GETs of large bodies, for a duration: `connections` keep-alive node:http connections, each cycling through
 * the plan's requests from its own offset, the bodies counted and dropped. autocannon parses a response body in
 * JavaScript at a cost that, for 1 MB bodies, makes the load generator the bottleneck (87 % of a core for
 * 40 MB/s, against 1.4 ms of CPU per MB here), so the bodies' downloads are measured with this instead.
 */
export async function runBodyLoad(baseUrl: string, plan: LoadPlan, connections: number, seconds: number): Promise<LoadRun> {
  if (aborted) throw new StoppingError();
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const errorSamples: string[] = [];
  let responses = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let stopped = false;
  const stopper = { stop: () => (stopped = true) };
  running.add(stopper);
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  const stride = Math.max(1, Math.floor(plan.requests.length / Math.max(1, connections)));
  const one = (path: string) =>
    new Promise<void>((done) => {
      const sent = performance.now();
      const req = request({ host: url.hostname, port: url.port, path, agent, headers: plan.headers }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          responses++;
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) latencies.push(performance.now() - sent);
          else non2xx++;
          done();
        });
      });
      req.setTimeout(10_000, () => {
        timeouts++;
        req.destroy(new Error('timed out'));
      });
      req.on('error', (error) => {
        errors++;
        noteError(errorSamples, error.message);
        done();
      });
      req.end();
    });
  const loop = async (offset: number) => {
    for (let i = offset; !stopped && !aborted && Date.now() < deadline; i++) await one(plan.requests[i % plan.requests.length].path);
  };
  try {
    await Promise.all(Array.from({ length: connections }, (_, c) => loop(c * stride)));
  } finally {
    running.delete(stopper);
    agent.destroy();
  }
  if (aborted) throw new StoppingError();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  return { samples: latencies, stats: summarise(wall, responses, latencies, { non2xx, errors, timeouts, statusCodes, errorSamples }) };
}
