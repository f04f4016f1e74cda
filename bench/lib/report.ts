import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadStats } from './load';
import type { MemoryFigures } from './processes';
import type { FilesResults } from './files-bench';
import type { SearchResults } from './search-bench';
import { GROWTH_MIB_PER_MINUTE, SoakResults } from './soak';

/** `service` runs on the default platform (Fastify), `service-express` on Express. */
export type Target = 'service' | 'service-express' | 'floor' | 'scale-out';

export interface TargetResult {
  target: Target;
  /** Service instances the load was spread over. */
  instances: number;
  /** Measured runs merged into these figures (alternating rounds). */
  rounds: number;
  connections: number;
  stats: LoadStats;
  /** CPU time (user + system) of the server process(es) per response, in ms: less sensitive to a busy machine than req/s. */
  cpuMsPerRequest: number;
  /** Responses per CPU second (user + system) of the server process(es): how much work a core's second buys. */
  responsesPerCpuSecond: number;
  /** Per process (service, service-2, floor): the highest VmRSS sampled during the measured runs, and VmHWM after them. */
  memory: Record<string, MemoryFigures>;
  /** Each alternating round on its own, in the order run: how much the host moved during the scenario. */
  perRound: { requestsPerSecond: number; cpuMsPerRequest: number }[];
}

export interface Ratio {
  /** service req/s ÷ floor req/s (1 = as fast as the floor). */
  throughput: number;
  /** service p50 ÷ floor p50. */
  p50: number;
  /** service p99 ÷ floor p99 (1 = as fast as the floor). */
  p99: number;
  /** service CPU ms per request ÷ floor's (when both are known). */
  cpuPerRequest?: number;
}

export interface ScenarioResult {
  id: number;
  name: string;
  request: string;
  description: string;
  results: TargetResult[];
  /** Service figures as ratios to the floor's (scenarios run on the floor). */
  serviceVsFloor?: Ratio;
  /** The same on Express. */
  expressVsFloor?: Ratio;
  /** The largest scale-out's combined figures as ratios to one instance's (the x1 run of --scale-out-n, else the service's). */
  scaleOutVsSingle?: Ratio;
  /** Each scale-out run: combined req/s and responses per CPU second of the service processes, and ratios to the x1 run. */
  scaleOut?: {
    instances: number;
    requestsPerSecond: number;
    responsesPerCpuSecond: number;
    cpuMsPerRequest: number;
    p99Ms: number;
    vsOneInstance?: Ratio;
  }[];
  scaleOutVsFloor?: Ratio;
  /** Problems found before or while measuring (a failed check, a non-2xx response). */
  problems: string[];
}

const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);

export function ratioOf(numerator: LoadStats, denominator: LoadStats, cpu?: { numerator: number; denominator: number }): Ratio {
  return {
    throughput: ratio(numerator.requestsPerSecond, denominator.requestsPerSecond),
    p50: ratio(numerator.latencyMs.p50, denominator.latencyMs.p50),
    p99: ratio(numerator.latencyMs.p99, denominator.latencyMs.p99),
    ...(cpu ? { cpuPerRequest: ratio(cpu.numerator, cpu.denominator) } : {}),
  };
}

export function targetRatio(numerator: TargetResult, denominator: TargetResult): Ratio {
  return ratioOf(numerator.stats, denominator.stats, { numerator: numerator.cpuMsPerRequest, denominator: denominator.cpuMsPerRequest });
}

function pad(cells: string[], widths: number[], right: boolean[]): string {
  return cells.map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
}

function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const lines = [pad(header, widths, right), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => pad(row, widths, right))];
  return lines.join('\n');
}

const fixed = (value: number, digits: number): string => value.toFixed(digits);
const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

function rssCell(result: TargetResult): string {
  const peaks = Object.values(result.memory).map((m) => m.peakRssMiB);
  return peaks.length ? peaks.map((p) => fixed(p, 0)).join('+') : '-';
}

/** The printed summary: one row per scenario and target, then the derived ratios. */
export function renderTable(scenarios: ScenarioResult[], scenario4vs3: Ratio | undefined): string {
  const header = [
    '#',
    'scenario',
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'errors',
    'CPU ms/req',
    'resp/CPU s',
    'peak RSS MiB',
    'req/s vs floor',
    'p99 vs floor',
    'CPU/req vs floor',
  ];
  const right = [true, false, false, true, true, true, true, true, true, true, true, true, true, true];
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    if (scenario.results.length === 0) {
      rows.push([String(scenario.id), scenario.name, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-']);
      continue;
    }
    for (const result of scenario.results) {
      const largest = Math.max(0, ...scenario.results.filter((r) => r.target === 'scale-out').map((r) => r.instances));
      const scaleOutVs = result.instances === largest ? scenario.scaleOutVsFloor : undefined;
      const vs = { service: scenario.serviceVsFloor, 'service-express': scenario.expressVsFloor, 'scale-out': scaleOutVs, floor: undefined }[result.target];
      const label = { service: 'service (fastify)', 'service-express': 'service (express)', 'scale-out': `scale-out x${result.instances}`, floor: 'floor' }[
        result.target
      ];
      rows.push([
        String(scenario.id),
        scenario.name,
        label,
        thousands(result.stats.requestsPerSecond),
        fixed(result.stats.latencyMs.p50, 2),
        fixed(result.stats.latencyMs.p99, 2),
        String(result.stats.non2xx),
        String(result.stats.errors),
        fixed(result.cpuMsPerRequest, 2),
        thousands(result.responsesPerCpuSecond),
        rssCell(result),
        vs ? `${fixed(vs.throughput, 2)}x` : '',
        vs ? `${fixed(vs.p99, 2)}x` : '',
        vs?.cpuPerRequest !== undefined ? `${fixed(vs.cpuPerRequest, 2)}x` : '',
      ]);
    }
  }
  const lines = [table(header, rows, right)];
  for (const scenario of scenarios) {
    if (scenario.scaleOut && scenario.scaleOut.length > 0) {
      lines.push(
        `scenario ${scenario.id} scale-out: ` +
          scenario.scaleOut
            .map(
              (run) =>
                `x${run.instances} ${thousands(run.requestsPerSecond)} req/s, ${thousands(run.responsesPerCpuSecond)} responses/CPU s` +
                (run.vsOneInstance
                  ? ` (${fixed(run.vsOneInstance.throughput, 2)}x req/s, ${fixed(run.vsOneInstance.cpuPerRequest ?? 0, 2)}x CPU/req of x1)`
                  : ''),
            )
            .join('; ') +
          (!scenario.scaleOut.some((run) => run.vsOneInstance) && scenario.scaleOutVsSingle
            ? ` (${fixed(scenario.scaleOutVsSingle.throughput, 2)}x req/s, ${fixed(scenario.scaleOutVsSingle.cpuPerRequest ?? 0, 2)}x CPU/req of the service row)`
            : ''),
      );
    } else if (scenario.scaleOutVsSingle) {
      lines.push(
        `scenario ${scenario.id} scale-out: ${fixed(scenario.scaleOutVsSingle.throughput, 2)}x the req/s of one instance, ` +
          `p99 ${fixed(scenario.scaleOutVsSingle.p99, 2)}x, CPU/req ${fixed(scenario.scaleOutVsSingle.cpuPerRequest ?? 0, 2)}x`,
      );
    }
  }
  if (scenario4vs3) {
    lines.push(
      `scenario 4 vs 3 (list deep in 100k vs list of 1k): p50 ${fixed(scenario4vs3.p50, 2)}x, p99 ${fixed(scenario4vs3.p99, 2)}x, ` +
        `req/s ${fixed(scenario4vs3.throughput, 2)}x, CPU/req ${fixed(scenario4vs3.cpuPerRequest ?? 0, 2)}x`,
    );
  }
  for (const scenario of scenarios) for (const problem of scenario.problems) lines.push(`! scenario ${scenario.id}: ${problem}`);
  return lines.join('\n');
}

/** The --search summary: each search on each route, then the create throughput with and without the index. */
export function renderSearchTable(search: SearchResults): string {
  const { corpus } = search;
  const lines = [
    `search: ${thousands(corpus.messages)} messages over ${thousands(corpus.threads)} threads in one tenant (messages table ${thousands(corpus.tableMiB)} MiB, ` +
      `GIN index ${corpus.indexMiB} MiB), ${search.connections} connections; target p99 < ${search.p99TargetMs} ms`,
  ];
  const header = ['route', 'search', 'query', 'matches', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'CPU ms/req', 'p99 target'];
  const right = [false, false, false, true, true, true, true, true, true, true, true, true, false];
  const rows = search.rows.map((row) => [
    row.route === 'tenant' ? 'GET /v1/messages/search' : 'GET /v1/threads/{id}/messages',
    row.label,
    row.query === '*' ? 'all in turn' : row.query,
    row.route === 'tenant' ? thousands(row.matches) : `${fixed(row.matches, 1)}/thread`,
    row.problem ? '-' : thousands(row.stats.requestsPerSecond),
    fixed(row.stats.latencyMs.p50, 2),
    fixed(row.stats.latencyMs.p90, 2),
    fixed(row.stats.latencyMs.p99, 2),
    fixed(row.stats.latencyMs.max, 2),
    String(row.stats.non2xx),
    String(row.stats.errors),
    fixed(row.cpuMsPerRequest, 2),
    row.problem ? 'not run' : row.stats.latencyMs.p99 < search.p99TargetMs && row.stats.non2xx === 0 ? 'met' : 'MISSED',
  ]);
  lines.push(table(header, rows, right), '');
  const writes = search.write.map((w) => [
    w.state,
    String(w.rounds),
    thousands(w.stats.requestsPerSecond),
    fixed(w.stats.latencyMs.p50, 2),
    fixed(w.stats.latencyMs.p99, 2),
    String(w.stats.non2xx),
    String(w.stats.errors),
    fixed(w.cpuMsPerRequest, 2),
  ]);
  lines.push(
    `write cost: POST /v1/threads/{id}/messages as scenario 1, on the same table of ${thousands(corpus.messages)} messages`,
    table(['messages table', 'rounds', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU ms/req'], writes, [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]),
  );
  const { withoutIndex, withoutColumn } = search.writeRatio;
  const verdict = (value: number | undefined) =>
    value === undefined
      ? 'not measured'
      : `${fixed(value, 2)}x (target >= ${search.writeRatioTarget}x: ${value >= search.writeRatioTarget ? 'met' : 'MISSED'})`;
  lines.push(
    `create throughput with the search indexes vs without them: ${verdict(withoutIndex)}; vs without the column and the indexes: ${verdict(withoutColumn)}`,
  );
  for (const row of search.rows) if (row.problem) lines.push(`! search ${row.route} ${row.label}: ${row.problem}`);
  return lines.join('\n');
}

/** The transfers' summary: small files at 8 connections, then the large file, service beside the floor. */
export function renderFilesTable(files: FilesResults): string {
  const header = ['files', 'target', 'MB/s', 'vs floor', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/MB', 'peak RSS MiB', 'idle RSS MiB', 'above idle MiB'];
  const right = [false, false, true, true, true, true, true, true, true, true, true];
  const rows: string[][] = [];
  const small = files.options.smallBytes / 1e6;
  for (const [kind, list, vs] of [
    ['upload', files.small.upload, files.small.uploadVsFloor],
    ['download', files.small.download, files.small.downloadVsFloor],
  ] as const) {
    for (const f of list) {
      rows.push([
        `${kind} ${small} MB x${files.options.connections}`,
        f.target,
        fixed(f.mbPerSecond, 1),
        f.target === 'service' ? `${fixed(vs, 2)}x` : '',
        fixed(f.stats.requestsPerSecond, 1),
        fixed(f.stats.latencyMs.p50, 1),
        fixed(f.stats.latencyMs.p99, 1),
        fixed(f.cpuMsPerMb, 2),
        fixed(f.peakRssMiB, 1),
        '',
        '',
      ]);
    }
  }
  const big = files.options.bigBytes / 1e6;
  for (const [kind, list, vs] of [
    ['upload', files.big.upload, files.big.uploadVsFloor],
    ['download', files.big.download, files.big.downloadVsFloor],
  ] as const) {
    for (const f of list) {
      rows.push([
        `${kind} ${big} MB x1`,
        f.target,
        fixed(f.mbPerSecond, 1),
        f.target === 'service' ? `${fixed(vs, 2)}x` : '',
        '',
        '',
        '',
        fixed(f.cpuMsPerMb, 2),
        fixed(f.peakRssMiB, 1),
        fixed(f.idleRssMiB, 1),
        fixed(f.aboveIdleMiB, 1),
      ]);
    }
  }
  const lines = [table(header, rows, right)];
  const serviceBig = [...files.big.upload, ...files.big.download].filter((f) => f.target === 'service');
  const worst = serviceBig.length > 0 ? Math.max(...serviceBig.map((f) => f.aboveIdleMiB)) : 0;
  const ratios = [files.small.uploadVsFloor, files.small.downloadVsFloor, files.big.uploadVsFloor, files.big.downloadVsFloor];
  lines.push(
    `files vs floor (target >= 0.8x): ${ratios.map((r) => `${fixed(r, 2)}x`).join(', ')} (small up, small down, large up, large down): ` +
      `${ratios.every((r) => r >= 0.8) ? 'met' : 'NOT met'}; service RSS above idle during the ${big} MB file: ${fixed(worst, 1)} MiB ` +
      `(target < 64: ${worst < 64 ? 'met' : 'NOT met'}); parity: ${files.parity.ok ? 'same bytes' : 'DIFFERENT'}`,
  );
  for (const problem of files.problems) lines.push(`! files: ${problem}`);
  return lines.join('\n');
}

/** The --soak summary: the first minute against the last, and the slope of the RSS. */
export function renderSoak(soak: SoakResults, files: { json: string; svg: string }): string {
  const rows = [
    ['first minute', fixed(soak.firstMinute.requestsPerSecond, 1), fixed(soak.firstMinute.rssMiB, 1)],
    ['last minute', fixed(soak.lastMinute.requestsPerSecond, 1), fixed(soak.lastMinute.rssMiB, 1)],
  ];
  return [
    `soak: ${soak.minutes} min of ${soak.requests.join(' + ')} at ${soak.connections} connections, a point every ${soak.sampleSeconds} s`,
    table(['window', 'req/s', 'RSS MiB'], rows, [false, true, true]),
    `RSS slope ${fixed(soak.rssSlopeMiBPerMinute, 2)} MiB/min (least squares over ${soak.points.length} points): ` +
      `${soak.rssGrew ? `GREW (above ${GROWTH_MIB_PER_MINUTE} MiB/min)` : `flat (at most ${GROWTH_MIB_PER_MINUTE} MiB/min)`}; ` +
      `${soak.totalNon2xx} non-2xx, ${soak.totalErrors} errors`,
    `curve: ${files.json}, ${files.svg}`,
  ].join('\n');
}

/** Writes bench/results/<timestamp>.json and returns its path. */
export function writeResults(root: string, startedAt: Date, document: object): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  return file;
}
