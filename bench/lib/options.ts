/** Command-line options of `npm run bench`. */
export interface BenchOptions {
  /** Measured seconds per scenario and target (split over the alternating rounds where the floor runs too). */
  duration: number;
  /** Warm-up seconds before every measured run (not recorded). */
  warmup: number;
  connections: number;
  scenarios: number[];
  /** Scenarios also run against the floor server (it implements the endpoints of every scenario). */
  floorScenarios: number[];
  /** Alternating rounds (service on each platform, and the floor where it runs) per scenario; with --search, rounds of its write states. */
  rounds: number;
  scaleOut: boolean;
  /** Also measure the service on Express, beside the default platform (Fastify), in the same rounds. */
  express: boolean;
  build: boolean;
  /** Seconds of API seeding for the 100,000-message thread before the rest is inserted with SQL. */
  seedBudget: number;
  /** Messages of the long thread of scenario 4. */
  deepMessages: number;
  /** Also measure search on a large corpus, and what its index costs the writes (bench/lib/search-bench.ts). */
  search: boolean;
  searchMessages: number;
  searchThreads: number;
  /** Connections of the search measurements (the write cost uses --connections, as scenario 1). */
  searchConnections: number;
  /** Measure file uploads and downloads against the files floor (bench/lib/files-bench.ts); on unless --no-files. */
  files: boolean;
  /** Megabytes (10^6 bytes) of the large file of the transfers. */
  filesBigMb: number;
  /** Minutes of the sustained mixed load of --soak (0 = none). */
  soakMinutes: number;
  /** Instance counts of the scale-out runs (scenarios 1 and 3); [] = none. --scale-out alone is 2. */
  scaleOutN: number[];
}

export const ALL_SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

export const USAGE = `Usage: npm run bench -- [options]

  --duration N          measured seconds per scenario (default 10)
  --warmup N            warm-up seconds before each measured run (default 2)
  --connections N       concurrent connections (default 32)
  --scenarios LIST      which scenarios, e.g. 1,3 (default 1,2,3,4,5,6,7,8,9)
  --floor-scenarios L   scenarios also run on the floor server (default: all of --scenarios; "none" to skip)
  --rounds N            alternating rounds of the targets of a scenario, and of the search's write states (default 2)
  --scale-out           also run scenarios 1 and 3 on two service instances sharing the database
  --no-express          measure the default platform (Fastify) only, not Express beside it
  --seed-budget N       seconds of API seeding for the long thread before SQL fills the rest (default 45; 0 = all SQL)
  --deep-messages N     messages in the long thread of scenario 4 (default 100000)
  --search              also measure search on 1,000,000 messages over 10,000 threads (seeded with SQL: a few
                        minutes), and the create throughput with and without the search index
  --search-messages N   messages of the search corpus (default 1000000)
  --search-threads N    threads of the search corpus (default 10000)
  --search-connections N  connections of the search measurements (default 4)
  --no-files            leave out the Files API's transfers, measured by default after the scenarios: uploads
                        and downloads of 1 MB files (8 connections) and of one large file, beside the files
                        floor (MB/s, CPU per MB, peak RSS)
  --files               measure the transfers (the default; with "--scenarios none", the transfers alone)
  --files-big-mb N      megabytes of the large file of the transfers (default 512)
  --soak MINUTES        also run a sustained mixed load (create, list, retrieve; --connections) for that long,
                        sampling RSS and req/s (a curve in bench/results/<timestamp>-soak.json and .svg)
  --scale-out-n LIST    run scenarios 1 and 3 on N service instances sharing the database, for each N of the
                        list (e.g. 1,2,4): combined req/s and responses per CPU second of the service processes
  --no-build            skip \`npm run build\` (use the existing dist/)
  --help                this text

Scenarios: 1 create message (one thread), 2 create message (100 threads), 3 list limit=20 (1,000-message
thread), 4 list limit=20 after a cursor deep in a 100,000-message thread, 5 retrieve message, 6 create thread,
7 create conversation item (one user message), 8 list conversation items limit=20 (1,000-item conversation),
9 retrieve a file's object (100 files).
"--scenarios none" skips the scenarios: what runs then is the transfers (unless --no-files) and whatever
--search, --soak or --scale-out-n ask for.
`;

export class UsageError extends Error {}

function positiveNumber(flag: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${flag} expects a number from ${min} to ${max}, got '${raw ?? ''}'`);
  }
  return value;
}

function scenarioList(flag: string, raw: string | undefined, allowed: number[]): number[] {
  if (raw === undefined) throw new UsageError(`${flag} expects a list such as 1,3`);
  if (raw.trim() === 'none') return [];
  const values = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  const bad = values.filter((value) => !allowed.includes(value));
  if (values.length === 0 || bad.length > 0) {
    throw new UsageError(`${flag} expects scenario numbers among ${allowed.join(',')}, got '${raw}'`);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

function instanceList(flag: string, raw: string | undefined): number[] {
  const values = (raw ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < 1 || value > 16)) {
    throw new UsageError(`${flag} expects instance counts from 1 to 16 such as 1,2,4, got '${raw ?? ''}'`);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const options: BenchOptions = {
    duration: 10,
    warmup: 2,
    connections: 32,
    scenarios: [...ALL_SCENARIOS],
    floorScenarios: [...ALL_SCENARIOS],
    rounds: 2,
    scaleOut: false,
    express: true,
    build: true,
    seedBudget: 45,
    deepMessages: 100_000,
    search: false,
    searchMessages: 1_000_000,
    searchThreads: 10_000,
    searchConnections: 4,
    files: true,
    filesBigMb: 512,
    soakMinutes: 0,
    scaleOutN: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--duration':
        options.duration = positiveNumber(flag, value(), 1, 600);
        break;
      case '--warmup':
        options.warmup = positiveNumber(flag, value(), 0, 120);
        break;
      case '--connections':
        options.connections = Math.round(positiveNumber(flag, value(), 1, 1000));
        break;
      case '--scenarios':
        options.scenarios = scenarioList(flag, value(), ALL_SCENARIOS);
        break;
      case '--floor-scenarios':
        options.floorScenarios = scenarioList(flag, value(), ALL_SCENARIOS);
        break;
      case '--no-floor':
        options.floorScenarios = [];
        break;
      case '--rounds':
        options.rounds = Math.round(positiveNumber(flag, value(), 1, 20));
        break;
      case '--no-express':
        options.express = false;
        break;
      case '--scale-out':
        options.scaleOut = true;
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--seed-budget':
        options.seedBudget = positiveNumber(flag, value(), 0, 600);
        break;
      case '--deep-messages':
        options.deepMessages = Math.round(positiveNumber(flag, value(), 200, 10_000_000));
        break;
      case '--search':
        options.search = true;
        break;
      case '--search-messages':
        options.searchMessages = Math.round(positiveNumber(flag, value(), 1000, 100_000_000));
        break;
      case '--search-threads':
        options.searchThreads = Math.round(positiveNumber(flag, value(), 1, 10_000_000));
        break;
      case '--search-connections':
        options.searchConnections = Math.round(positiveNumber(flag, value(), 1, 1000));
        break;
      case '--files':
        options.files = true;
        break;
      case '--no-files':
        options.files = false;
        break;
      case '--files-big-mb':
        options.filesBigMb = Math.round(positiveNumber(flag, value(), 1, 536));
        break;
      case '--soak':
        options.soakMinutes = positiveNumber(flag, value(), 0.5, 600);
        break;
      case '--scale-out-n':
        options.scaleOutN = instanceList(flag, value());
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new UsageError(`unknown option '${argv[i]}'`);
    }
  }
  if (options.scaleOut && options.scaleOutN.length === 0) options.scaleOutN = [2];
  options.scaleOut = options.scaleOutN.length > 0;
  if (options.connections < Math.max(1, ...options.scaleOutN)) throw new UsageError('scale-out needs at least as many connections as instances');
  if (options.scenarios.length === 0 && !options.search && !options.files && options.soakMinutes === 0 && !options.scaleOut) {
    throw new UsageError('--scenarios none with --no-files leaves nothing to measure (add --search, --soak or --scale-out-n)');
  }
  if (options.searchThreads > options.searchMessages) throw new UsageError('--search-threads cannot exceed --search-messages');
  return options;
}
