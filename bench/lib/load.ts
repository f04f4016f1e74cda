import autocannon from 'autocannon';

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

const running = new Set<autocannon.Instance>();
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
    if (errorSamples.length < 5 && !errorSamples.includes(message)) errorSamples.push(message);
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
