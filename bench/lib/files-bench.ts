/**
 * The Files API's transfers (measured unless `--no-files`): uploads (autocannon) and downloads (a small
 * node:http client) of 1 MB files at 8 connections, then one large file (512 MB by default) streamed up
 * and down by a node:http client, on the service and on the files floor (bench/floor/files-server.ts), which store the
 * same rows of the same database. Reported: MB/s (10^6 bytes per second of file content), the ratio to the
 * floor, CPU per MB and peak RSS; for the large file, RSS before the transfer (idle) and its peak during the
 * transfer, sampled every 100 ms from /proc/<pid>/status.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Client } from 'pg';
import { combineRuns, LoadPlan, LoadRun, LoadStats, round2, runBodyLoad, runLoad } from './load';
import { cpuMs, RssSampler, rssKiB, withPeakRss } from './processes';

export interface FilesTarget {
  name: 'service' | 'floor';
  pid: number;
  baseUrl: string;
}

export interface FilesOptions {
  duration: number;
  warmup: number;
  rounds: number;
  connections: number;
  /** Bytes of each small file. */
  smallBytes: number;
  /** Bytes of the large file. */
  bigBytes: number;
}

export interface SmallFileFigures {
  target: FilesTarget['name'];
  stats: LoadStats;
  mbPerSecond: number;
  cpuMsPerMb: number;
  peakRssMiB: number;
}

export interface BigFileFigures {
  target: FilesTarget['name'];
  status: number;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
  /** VmRSS right before the transfer, after two quiet seconds. */
  idleRssMiB: number;
  peakRssMiB: number;
  aboveIdleMiB: number;
  cpuMsPerMb: number;
}

export interface FilesResults {
  options: FilesOptions;
  parity: { ok: boolean; checks: { check: string; ok: boolean; detail?: string }[] };
  small: { upload: SmallFileFigures[]; download: SmallFileFigures[]; uploadVsFloor: number; downloadVsFloor: number };
  big: { upload: BigFileFigures[]; download: BigFileFigures[]; uploadVsFloor: number; downloadVsFloor: number };
  problems: string[];
}

const BOUNDARY = '----bench-files-7d1f3a9c';
const MB = 1_000_000;
const ratio = (a: number, b: number): number => (b > 0 ? round2(a / b) : 0);

function formHead(filename: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
}
const FORM_TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
const FORM_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** A whole form as one buffer (small files and the parity checks). */
function form(filename: string, content: Buffer): Buffer {
  return Buffer.concat([formHead(filename), content, FORM_TAIL]);
}

// ---- parity ----------------------------------------------------------------------------------------------------

/** `POST /v1/files` of `content` as one form, purpose `assistants`: the status and the answer. */
export async function uploadWhole(baseUrl: string, key: string, filename: string, content: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/v1/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': FORM_TYPE },
    body: form(filename, content),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function downloadWhole(baseUrl: string, key: string, id: string): Promise<{ status: number; headers: Record<string, string | null>; body: Buffer }> {
  const response = await fetch(`${baseUrl}/v1/files/${id}/content`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(60_000) });
  const headers = Object.fromEntries(['content-type', 'content-length', 'content-disposition'].map((name) => [name, response.headers.get(name)]));
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** A file uploaded to either is downloadable byte for byte from both, with the same headers; the upload answers alike. */
async function parity(service: FilesTarget, floor: FilesTarget, key: string): Promise<FilesResults['parity']> {
  const checks: FilesResults['parity']['checks'] = [];
  const check = (name: string, ok: boolean, detail?: string) => checks.push({ check: name, ok, ...(ok ? {} : { detail }) });
  // Three chunks and a short fourth: chunk boundaries on both sides.
  const content = randomBytes(3 * 1024 * 1024 + 12_345);
  const filename = 'résumé parity (data).bin';
  for (const [from, to] of [
    [floor, service],
    [service, floor],
  ]) {
    const uploaded = await uploadWhole(from.baseUrl, key, filename, content);
    check(`upload to ${from.name} answers 200`, uploaded.status === 200, JSON.stringify(uploaded.body).slice(0, 300));
    const id = String(uploaded.body.id);
    const viaTo = await downloadWhole(to.baseUrl, key, id);
    const viaFrom = await downloadWhole(from.baseUrl, key, id);
    check(
      `uploaded to ${from.name}, downloaded from ${to.name}: same bytes`,
      viaTo.status === 200 && viaTo.body.equals(content),
      `status ${viaTo.status}, ${viaTo.body.length} bytes`,
    );
    check(
      `uploaded to ${from.name}, downloaded from ${from.name}: same bytes`,
      viaFrom.status === 200 && viaFrom.body.equals(content),
      `status ${viaFrom.status}, ${viaFrom.body.length} bytes`,
    );
    check(
      `headers of the download alike (${from.name} upload)`,
      JSON.stringify(viaTo.headers) === JSON.stringify(viaFrom.headers),
      `${JSON.stringify(viaTo.headers)} vs ${JSON.stringify(viaFrom.headers)}`,
    );
  }
  const a = await uploadWhole(service.baseUrl, key, 'a.txt', Buffer.from('hello'));
  const b = await uploadWhole(floor.baseUrl, key, 'a.txt', Buffer.from('hello'));
  const strip = (body: Record<string, unknown>) => JSON.stringify({ ...body, id: undefined, created_at: undefined });
  check('file objects alike (id and created_at aside)', strip(a.body) === strip(b.body), `${strip(a.body)} vs ${strip(b.body)}`);
  const noKey = await fetch(`${floor.baseUrl}/v1/files/${String(a.body.id)}/content`);
  const noKeyService = await fetch(`${service.baseUrl}/v1/files/${String(a.body.id)}/content`);
  await Promise.all([noKey.arrayBuffer(), noKeyService.arrayBuffer()]);
  check('no key: 401 on both', noKey.status === 401 && noKeyService.status === 401, `${noKeyService.status} vs ${noKey.status}`);
  return { ok: checks.every((c) => c.ok), checks };
}

// ---- the large file: a streaming client -------------------------------------------------------------------

/** Uploads `bytes` of generated data (one random 1 MiB block repeated) without holding them: writes wait for the socket. */
function streamUpload(baseUrl: string, key: string, bytes: number): Promise<{ status: number; seconds: number; body: string }> {
  const head = formHead('large.bin');
  const block = randomBytes(1024 * 1024);
  const url = new URL(`${baseUrl}/v1/files`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': FORM_TYPE, 'content-length': head.length + bytes + FORM_TAIL.length },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, seconds: Number(process.hrtime.bigint() - started) / 1e9, body: Buffer.concat(parts).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(600_000, () => req.destroy(new Error('upload timed out')));
    void (async () => {
      req.write(head);
      let left = bytes;
      while (left > 0) {
        const piece = left >= block.length ? block : block.subarray(0, left);
        left -= piece.length;
        if (!req.write(piece)) await new Promise<void>((resolveDrain) => req.once('drain', resolveDrain));
        if (req.destroyed) return;
      }
      req.end(FORM_TAIL);
    })();
  });
}

/** Downloads a file, counting its bytes and dropping them. */
function streamDownload(baseUrl: string, key: string, id: string): Promise<{ status: number; seconds: number; bytes: number }> {
  const url = new URL(`${baseUrl}/v1/files/${id}/content`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: `Bearer ${key}` } }, (res) => {
      let bytes = 0;
      res.on('data', (part: Buffer) => (bytes += part.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(600_000, () => req.destroy(new Error('download timed out')));
    req.end();
  });
}

const pause = (ms: number) => new Promise((resolvePause) => setTimeout(resolvePause, ms));

// ---- the run ---------------------------------------------------------------------------------------------------

export async function runFilesBench(
  databaseUrl: string,
  key: string,
  service: FilesTarget,
  floor: FilesTarget,
  rss: RssSampler,
  options: FilesOptions,
  log: (message: string) => void,
): Promise<FilesResults> {
  const problems: string[] = [];
  const db = new Client({ connectionString: databaseUrl, application_name: 'bench-files' });
  await db.connect();
  try {
    const checked = await parity(service, floor, key);
    log(`files parity: ${checked.ok ? 'same bytes and answers' : 'DIFFERENT'} (${checked.checks.filter((c) => c.ok).length}/${checked.checks.length})`);
    for (const c of checked.checks.filter((c) => !c.ok)) log(`  files parity: ${c.check}: ${c.detail}`);

    // Fixtures for the downloads: eight 1 MB files, uploaded through the service.
    const fixtures: string[] = [];
    for (let i = 0; i < 8; i++) {
      const uploaded = await uploadWhole(service.baseUrl, key, `download-${i}.bin`, randomBytes(options.smallBytes));
      if (uploaded.status !== 200) throw new Error(`uploading a download fixture answered ${uploaded.status}: ${JSON.stringify(uploaded.body)}`);
      fixtures.push(String(uploaded.body.id));
    }
    const keep = [...fixtures];
    // What the uploads add goes after every run, so that the table does not grow run after run.
    const dropUploads = async () => {
      await db.query('DELETE FROM files WHERE NOT (id = ANY($1::varchar[]))', [keep]);
    };

    const headers = { authorization: `Bearer ${key}` };
    const uploadPlan: LoadPlan = {
      // ASCII content (base64 of random bytes): autocannon sends a string body; PostgreSQL cannot compress it much.
      requests: [
        {
          method: 'POST',
          path: '/v1/files',
          body: form(
            'upload.bin',
            Buffer.from(
              randomBytes(Math.ceil((options.smallBytes * 3) / 4))
                .toString('base64')
                .slice(0, options.smallBytes),
            ),
          ).toString('latin1'),
        },
      ],
      headers: { ...headers, 'content-type': FORM_TYPE },
    };
    const downloadPlan: LoadPlan = { requests: fixtures.map((id) => ({ method: 'GET', path: `/v1/files/${id}/content` })), headers };

    const measureSmall = async (kind: 'upload' | 'download', plan: LoadPlan): Promise<SmallFileFigures[]> => {
      const runs = new Map<FilesTarget, { run: LoadRun; cpu: number; peak: number }[]>([
        [service, []],
        [floor, []],
      ]);
      const seconds = options.duration / options.rounds;
      log(`files: ${kind} of ${options.smallBytes / MB} MB files, ${options.connections} connections, ${options.rounds} alternating rounds of ${seconds} s`);
      // Uploads through autocannon; downloads through node:http, which reads a 1 MB body for a fraction of autocannon's CPU.
      const load = (target: FilesTarget, forSeconds: number) =>
        kind === 'upload'
          ? runLoad([target.baseUrl], plan, options.connections, { seconds: forSeconds })
          : runBodyLoad(target.baseUrl, plan, options.connections, forSeconds);
      for (let round = 0; round < options.rounds; round++) {
        for (const target of [service, floor]) {
          if (options.warmup > 0) await load(target, options.warmup);
          if (kind === 'upload') await dropUploads();
          rss.reset();
          const before = cpuMs(target.pid);
          const run = await load(target, seconds);
          runs.get(target)?.push({ run, cpu: cpuMs(target.pid) - before, peak: rss.figures(target.pid).peakRssMiB });
          if (kind === 'upload') await dropUploads();
        }
      }
      return [service, floor].map((target) => {
        const parts = runs.get(target) ?? [];
        const stats = combineRuns(parts.map((p) => p.run)).stats;
        const ok = stats.responses - stats.non2xx;
        const mb = (ok * options.smallBytes) / MB;
        const cpu = parts.reduce((total, p) => total + p.cpu, 0);
        if (stats.non2xx > 0 || stats.errors > 0)
          problems.push(`${kind} ${target.name}: ${stats.non2xx} non-2xx ${JSON.stringify(stats.statusCodes)}, ${stats.errors} errors`);
        const figures: SmallFileFigures = {
          target: target.name,
          stats,
          mbPerSecond: stats.seconds > 0 ? round2(mb / stats.seconds) : 0,
          cpuMsPerMb: mb > 0 ? round2(cpu / mb) : 0,
          peakRssMiB: Math.max(...parts.map((p) => p.peak)),
        };
        log(`  ${target.name}: ${figures.mbPerSecond} MB/s (${stats.requestsPerSecond} req/s), p99 ${stats.latencyMs.p99} ms, CPU ${figures.cpuMsPerMb} ms/MB`);
        return figures;
      });
    };
    const upload = await measureSmall('upload', uploadPlan);
    const download = await measureSmall('download', downloadPlan);

    // The large file: up, then down, on each target in turn.
    const bigUpload: BigFileFigures[] = [];
    const bigDownload: BigFileFigures[] = [];
    for (const target of [service, floor]) {
      log(`files: one ${options.bigBytes / MB} MB file up and down, ${target.name}`);
      await pause(2000);
      const idle = rssKiB(target.pid);
      let cpuBefore = cpuMs(target.pid);
      const up = await withPeakRss(target.pid, () => streamUpload(target.baseUrl, key, options.bigBytes));
      const upCpu = cpuMs(target.pid) - cpuBefore;
      let id = '';
      try {
        id = String((JSON.parse(up.result.body) as { id: string }).id);
      } catch {
        // reported below
      }
      if (up.result.status !== 200) problems.push(`large upload ${target.name}: ${up.result.status} ${up.result.body.slice(0, 300)}`);
      const figures = (status: number, bytes: number, seconds: number, peakKiB: number, cpu: number): BigFileFigures => ({
        target: target.name,
        status,
        bytes,
        seconds: round2(seconds),
        mbPerSecond: seconds > 0 ? round2(bytes / MB / seconds) : 0,
        idleRssMiB: round2(idle / 1024),
        peakRssMiB: round2(peakKiB / 1024),
        aboveIdleMiB: round2((peakKiB - idle) / 1024),
        cpuMsPerMb: bytes > 0 ? round2(cpu / (bytes / MB)) : 0,
      });
      bigUpload.push(figures(up.result.status, options.bigBytes, up.result.seconds, up.peakKiB, upCpu));
      log(
        `  upload ${target.name}: ${bigUpload[bigUpload.length - 1].mbPerSecond} MB/s, peak RSS ${bigUpload[bigUpload.length - 1].aboveIdleMiB} MiB above idle`,
      );
      if (up.result.status === 200) {
        await pause(1000);
        cpuBefore = cpuMs(target.pid);
        const down = await withPeakRss(target.pid, () => streamDownload(target.baseUrl, key, id));
        if (down.result.status !== 200 || down.result.bytes !== options.bigBytes) {
          problems.push(`large download ${target.name}: ${down.result.status}, ${down.result.bytes} of ${options.bigBytes} bytes`);
        }
        bigDownload.push(figures(down.result.status, down.result.bytes, down.result.seconds, down.peakKiB, cpuMs(target.pid) - cpuBefore));
        log(
          `  download ${target.name}: ${bigDownload[bigDownload.length - 1].mbPerSecond} MB/s, peak RSS ${bigDownload[bigDownload.length - 1].aboveIdleMiB} MiB above idle`,
        );
      }
      await dropUploads();
    }
    const pick = (list: { target: string; mbPerSecond: number }[], name: string) => list.find((f) => f.target === name)?.mbPerSecond ?? 0;
    for (const f of [...bigUpload, ...bigDownload]) {
      if (f.target === 'service' && f.aboveIdleMiB >= 64)
        problems.push(`large file: the service's RSS rose ${f.aboveIdleMiB} MiB above idle (target: under 64)`);
    }
    return {
      options,
      parity: checked,
      small: {
        upload,
        download,
        uploadVsFloor: ratio(pick(upload, 'service'), pick(upload, 'floor')),
        downloadVsFloor: ratio(pick(download, 'service'), pick(download, 'floor')),
      },
      big: {
        upload: bigUpload,
        download: bigDownload,
        uploadVsFloor: ratio(pick(bigUpload, 'service'), pick(bigUpload, 'floor')),
        downloadVsFloor: ratio(pick(bigDownload, 'service'), pick(bigDownload, 'floor')),
      },
      problems,
    };
  } finally {
    await db.end();
  }
}
