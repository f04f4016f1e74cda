/**
 * `--soak MINUTES`: a sustained mixed load on the service (create a message, list the newest page, retrieve a
 * message, in turn, on one thread), as back-to-back autocannon runs of a few seconds; after each, the service's
 * VmRSS and the run's req/s form one point of the curve. Reported: the first minute against the last (mean RSS,
 * req/s), the slope of a least-squares line through the RSS points in MiB per minute, and the curve as JSON and
 * as a hand-written SVG chart.
 */
import { writeFileSync } from 'node:fs';
import { LoadPlan, round2, runLoad } from './load';
import { cpuMs, rssKiB, withPeakRss } from './processes';

export interface SoakPoint {
  /** Seconds from the start of the soak to the end of this run. */
  atSeconds: number;
  rssMiB: number;
  /** Highest VmRSS sampled (every 100 ms) during this run. */
  peakRssMiB: number;
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  cpuMsPerRequest: number;
}

export interface SoakWindow {
  rssMiB: number;
  requestsPerSecond: number;
}

export interface SoakResults {
  minutes: number;
  connections: number;
  sampleSeconds: number;
  requests: string[];
  points: SoakPoint[];
  firstMinute: SoakWindow;
  lastMinute: SoakWindow;
  /** Least-squares slope of the RSS points, MiB per minute. */
  rssSlopeMiBPerMinute: number;
  /** RSS grew: the slope is above GROWTH_MIB_PER_MINUTE. */
  rssGrew: boolean;
  totalResponses: number;
  totalNon2xx: number;
  totalErrors: number;
}

/** Above this slope the RSS is said to grow (0.5 MiB/min is 30 MiB an hour). */
export const GROWTH_MIB_PER_MINUTE = 0.5;

function mean(values: number[]): number {
  return values.length > 0 ? values.reduce((total, value) => total + value, 0) / values.length : 0;
}

/** Slope of the least-squares line through (x, y). */
export function slope(points: { x: number; y: number }[]): number {
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

export async function runSoak(
  target: { pid: number; baseUrl: string },
  plan: LoadPlan,
  connections: number,
  minutes: number,
  log: (message: string) => void,
  sampleSeconds = 5,
): Promise<SoakResults> {
  const points: SoakPoint[] = [];
  const total = minutes * 60;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  let nextLog = 60;
  while (elapsed() < total) {
    const seconds = Math.max(1, Math.min(sampleSeconds, Math.round(total - elapsed())));
    const cpuBefore = cpuMs(target.pid);
    const { result: run, peakKiB: peak } = await withPeakRss(target.pid, () => runLoad([target.baseUrl], plan, connections, { seconds }));
    const cpu = cpuMs(target.pid) - cpuBefore;
    const rss = rssKiB(target.pid);
    points.push({
      atSeconds: round2(elapsed()),
      rssMiB: round2(rss / 1024),
      peakRssMiB: round2(Math.max(peak, rss) / 1024),
      requestsPerSecond: run.stats.requestsPerSecond,
      p99Ms: run.stats.latencyMs.p99,
      non2xx: run.stats.non2xx,
      errors: run.stats.errors,
      cpuMsPerRequest: run.stats.responses > 0 ? round2(cpu / run.stats.responses) : 0,
    });
    if (elapsed() >= nextLog) {
      const last = points[points.length - 1];
      log(`  soak ${Math.round(elapsed())} s: ${last.requestsPerSecond} req/s, RSS ${last.rssMiB} MiB`);
      nextLog += 60;
    }
  }
  const end = points.length > 0 ? points[points.length - 1].atSeconds : 0;
  const window = (from: number, to: number): SoakWindow => {
    const inside = points.filter((p) => p.atSeconds > from && p.atSeconds <= to);
    return { rssMiB: round2(mean(inside.map((p) => p.rssMiB))), requestsPerSecond: round2(mean(inside.map((p) => p.requestsPerSecond))) };
  };
  const rssSlope = round2(slope(points.map((p) => ({ x: p.atSeconds / 60, y: p.rssMiB }))));
  return {
    minutes,
    connections,
    sampleSeconds,
    requests: [
      ...new Set(plan.requests.map((r) => `${r.method} ${r.path.replace(/msg_[A-Za-z0-9]+/, '{message_id}').replace(/thread_[A-Za-z0-9]+/, '{thread_id}')}`)),
    ],
    points,
    firstMinute: window(0, Math.min(60, end)),
    lastMinute: window(Math.max(0, end - 60), end),
    rssSlopeMiBPerMinute: rssSlope,
    rssGrew: rssSlope > GROWTH_MIB_PER_MINUTE,
    totalResponses: Math.round(points.reduce((sum, p, i) => sum + p.requestsPerSecond * (p.atSeconds - (i > 0 ? points[i - 1].atSeconds : 0)), 0)),
    totalNon2xx: points.reduce((sum, p) => sum + p.non2xx, 0),
    totalErrors: points.reduce((sum, p) => sum + p.errors, 0),
  };
}

/** The curve as an SVG line chart: RSS (MiB, left axis) and req/s (right axis) over minutes. No dependencies. */
export function soakSvg(soak: SoakResults): string {
  const width = 800;
  const height = 360;
  const left = 60;
  const right = 60;
  const top = 40;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxT = Math.max(1, ...soak.points.map((p) => p.atSeconds)) / 60;
  const maxRss = Math.max(1, ...soak.points.map((p) => p.rssMiB)) * 1.1;
  const maxRps = Math.max(1, ...soak.points.map((p) => p.requestsPerSecond)) * 1.1;
  const x = (seconds: number) => (left + (seconds / 60 / maxT) * plotW).toFixed(1);
  const y = (value: number, max: number) => (top + plotH - (value / max) * plotH).toFixed(1);
  const line = (pick: (p: SoakPoint) => number, max: number) => soak.points.map((p) => `${x(p.atSeconds)},${y(pick(p), max)}`).join(' ');
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = top + plotH - (i / 4) * plotH;
    ticks.push(
      `<line x1="${left}" y1="${v.toFixed(1)}" x2="${width - right}" y2="${v.toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(v + 4).toFixed(1)}" text-anchor="end" fill="#1f77b4">${Math.round((maxRss * i) / 4)}</text>`,
      `<text x="${width - right + 6}" y="${(v + 4).toFixed(1)}" fill="#d62728">${Math.round((maxRps * i) / 4)}</text>`,
    );
  }
  const minuteTicks: string[] = [];
  const step = maxT > 20 ? 5 : maxT > 5 ? 1 : 0.5;
  for (let m = 0; m <= maxT + 1e-9; m += step) {
    minuteTicks.push(`<text x="${x(m * 60)}" y="${height - bottom + 16}" text-anchor="middle">${m}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="13">Soak: ${soak.minutes} min, ${soak.connections} connections; ` +
      `RSS slope ${soak.rssSlopeMiBPerMinute} MiB/min</text>`,
    ...ticks,
    ...minuteTicks,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle">minutes</text>`,
    `<text x="14" y="${top + plotH / 2}" fill="#1f77b4" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">RSS MiB</text>`,
    `<text x="${width - 10}" y="${top + plotH / 2}" fill="#d62728" transform="rotate(90 ${width - 10} ${top + plotH / 2})" text-anchor="middle">req/s</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line((p) => p.rssMiB, maxRss)}"/>`,
    `<polyline fill="none" stroke="#d62728" stroke-width="1.5" points="${line((p) => p.requestsPerSecond, maxRps)}"/>`,
    `</svg>`,
    '',
  ].join('\n');
}

export function writeSoak(base: string, soak: SoakResults): { json: string; svg: string } {
  const json = `${base}-soak.json`;
  const svg = `${base}-soak.svg`;
  writeFileSync(json, JSON.stringify(soak, null, 2) + '\n');
  writeFileSync(svg, soakSvg(soak));
  return { json, svg };
}
