/**
 * Runs the benchmarks, each in a child process of its own (so one's memory and JIT state never colour
 * another's figures), one after another, and ends with every target line in one summary.
 *
 *   npm run bench                    all of them
 *   npm run bench -- api             those whose name contains "api"
 *   npm run bench -- converge --db sqlite
 *
 * Targets missed are reported, never turned into a failing exit code; only a benchmark that crashes is.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Benchmark {
  name: string;
  file: string;
  /** One child process per entry; benchmarks on both databases run each database separately. */
  dialects?: ('sqlite' | 'postgres')[];
}

const BENCHMARKS: Benchmark[] = [
  { name: 'api-get', file: 'api-get.ts' },
  { name: 'store-bulk', file: 'store-bulk.ts' },
  { name: 'discover', file: 'discover.ts', dialects: ['sqlite', 'postgres'] },
  { name: 'converge', file: 'converge.ts', dialects: ['sqlite', 'postgres'] },
  { name: 'cost-allocation', file: 'cost-allocation.ts', dialects: ['sqlite', 'postgres'] },
  { name: 'docker', file: 'docker.ts' },
  { name: 'otlp', file: 'otlp.ts' },
  { name: 'placement', file: 'placement.ts' },
  { name: 'deploy', file: 'deploy.ts', dialects: ['sqlite', 'postgres'] },
];

const benchDir = dirname(fileURLToPath(import.meta.url));
const TARGET_LINE = /\b(PASS|FAIL)\s*$/;

async function main(): Promise<number> {
  const { filters, db } = parseArgs(process.argv.slice(2));
  const chosen = BENCHMARKS.filter((b) => filters.length === 0 || filters.some((f) => b.name.includes(f)));
  if (chosen.length === 0) {
    console.error(`no benchmark matches ${filters.join(' ')}; there are: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const summary: string[] = [];
  let crashed = 0;
  const started = performance.now();
  for (const bench of chosen) {
    const dialects = bench.dialects?.filter((d) => db === undefined || d === db) ?? [undefined];
    for (const dialect of dialects) {
      const title = dialect ? `${bench.name} (${dialect})` : bench.name;
      const { code, targets } = await runChild(join(benchDir, bench.file), dialect ? ['--db', dialect] : []);
      if (code !== 0) crashed++;
      summary.push(...(code === 0 ? targets.map((t) => `${title.padEnd(22)} ${t.trim()}`) : [`${title.padEnd(22)} CRASHED (exit code ${code})`]));
    }
  }
  console.log(`\n=== summary (${((performance.now() - started) / 1000).toFixed(0)} s) ===`);
  for (const line of summary) console.log(`  ${line}`);
  return crashed > 0 ? 1 : 0;
}

/** Runs one benchmark file under tsx, passing its output through and keeping its PASS/FAIL lines. */
function runChild(file: string, args: string[]): Promise<{ code: number; targets: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', file, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const targets: string[] = [];
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      targets.push(...lines.filter((l) => TARGET_LINE.test(l)));
    });
    child.on('close', (code) => resolve({ code: code ?? 1, targets }));
  });
}

function parseArgs(argv: string[]): { filters: string[]; db: 'sqlite' | 'postgres' | undefined } {
  const filters: string[] = [];
  let db: 'sqlite' | 'postgres' | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--db') {
      const value = argv[++i];
      if (value !== 'sqlite' && value !== 'postgres') throw new Error('--db must be sqlite or postgres');
      db = value;
    } else filters.push(arg);
  }
  return { filters, db };
}

process.exitCode = await main();
