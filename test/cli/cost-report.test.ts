import { Command, CommanderError, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCostCommands } from '../../src/cli/commands/cost.js';
import { registerCostReportCommands } from '../../src/cli/commands/cost-report.js';
import { ExitCode, UsageError } from '../../src/cli/errors.js';
import type { CliIo, OutputStream } from '../../src/cli/io.js';
import { OUTPUT_FORMATS } from '../../src/cli/output.js';
import type { CostReport } from '../../src/metering/allocation/cost-report.js';
import type { BudgetView } from '../../src/metering/budgets/budget.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_ADMIN_TOKEN } from '../support/test-token.js';
import { startCostPlane, type CostPlane } from '../metering/allocation/cost-plane.js';
import { csvObjects, decimalToMicros } from '../metering/focus/strict-csv.js';

class Captured implements OutputStream {
  text = '';
  readonly isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/**
 * The `tessera` program as program.ts builds it, as far as these commands need: the global --url and -o (with
 * `csv` among the formats, the one-word change this command asks of src/cli/output.ts), the `cost` group of
 * cost.ts, and this file's commands added to it. Failures are reported as main() reports them.
 */
async function tessera(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Captured();
  const stderr = new Captured();
  const io: CliIo = { stdout, stderr, env, stopSignal: () => new AbortController().signal };
  const program = new Command('tessera')
    .exitOverride()
    .configureOutput({ writeOut: (t) => stdout.write(t), writeErr: (t) => stderr.write(t) })
    .addOption(new Option('--url <url>'))
    .addOption(new Option('-o, --output <format>').choices([...OUTPUT_FORMATS, 'csv']).default('table'));
  registerCostReportCommands(registerCostCommands(program, io), io);
  let code: number = ExitCode.Ok;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    else {
      stderr.write(`error: ${(e as Error).message}\n`);
      code = e instanceof UsageError ? ExitCode.Usage : ExitCode.Failure;
    }
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** `tessera cost report | export | budget` against a real API server over HTTP. */
describe('tessera cost report, export and budget', () => {
  let tdb: TestDatabase;
  let p: CostPlane;
  let env: Record<string, string>;
  const as = (token: string) => ({ ...env, TESSERA_TOKEN: token });

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    p = await startCostPlane(tdb);
    env = { TESSERA_URL: await p.t.anonymous.listen({ port: 0, host: '127.0.0.1' }), TESSERA_TOKEN: TEST_ADMIN_TOKEN };
  });
  afterAll(async () => {
    await p?.t.close();
    await tdb?.dispose();
  });

  it('report -o json prints what the API answers', async () => {
    const r = await tessera(['cost', 'report', '--by', 'project,provider', '--month', '2026-01', '--idle', 'proportional', '-o', 'json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as CostReport;
    const api = JSON.parse((await p.t.app.inject({ method: 'GET', url: '/v1/cost/report?by=project,provider&from=2026-01-01T00:00:00.000Z&to=2026-02-01T00:00:00.000Z&idle=proportional' })).body) as CostReport;
    expect(printed).toEqual(api);
    expect(printed.rows.some((x) => x.idleMicros > 0)).toBe(true);
  });

  it('report as a table: one row per group and a total, exact dollars; the notes beside it on stderr', async () => {
    const r = await tessera(['cost', 'report', '--by', 'project,provider', '--from', '2026-01-01', '--to', '2026-02-01'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PROJECT\s+PROVIDER\s+COST\s+USAGE\s+IDLE\s+HOURS\s+UNPRICED H\s+LINES$/);
    expect(r.stdout).toMatch(/\nalpha\s+aws-sim\s+\$2\.832\s+\$2\.832\s+\$0\.00\s+24\s+0\s+1\n/);
    expect(r.stdout).toMatch(/\n\(idle\)\s+onprem\s+\$\d+\.\d+/);
    expect(lines.at(-1)).toMatch(/^TOTAL\s+-\s+\$\d+\.\d+/);
    expect(r.stderr).toMatch(/^note: idle: onprem capacity cost \$/m);
  });

  it('report -o csv: RFC 4180 with exact decimal dollars that add up to the total', async () => {
    const r = await tessera(['cost', 'report', '--by', 'project,label:team', '--month', '2026-01', '--shared', 'even', '-o', 'csv'], env);
    expect(r.code).toBe(0);
    const rows = csvObjects(r.stdout);
    expect(Object.keys(rows[0]!)).toEqual(['project', 'label:team', 'cost_usd', 'usage_usd', 'idle_usd', 'shared_usd', 'instance_hours', 'unpriced_hours', 'lines']);
    const json = JSON.parse((await tessera(['cost', 'report', '--by', 'project,label:team', '--month', '2026-01', '--shared', 'even', '-o', 'json'], env)).stdout) as CostReport;
    expect(rows.reduce((n, x) => n + decimalToMicros(x.cost_usd!), 0)).toBe(json.total.costMicros);
    expect(rows.find((x) => x.project === '(shared)')).toMatchObject({ cost_usd: '0.000000' });
    expect(rows.find((x) => x.project === 'alpha' && x['label:team'] === 'web')!.cost_usd).toMatch(/^\d+\.\d{6}$/);
  });

  it('export --format focus writes the FOCUS CSV to stdout; its BilledCost adds up to the report’s total', async () => {
    const r = await tessera(['cost', 'export', '--format', 'focus', '--month', '2026-01'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = csvObjects(r.stdout);
    const report = JSON.parse((await tessera(['cost', 'report', '--month', '2026-01', '--idle', 'none', '-o', 'json'], env)).stdout) as CostReport;
    expect(rows.reduce((n, x) => n + decimalToMicros(x.BilledCost!), 0)).toBe(report.total.costMicros);
    const viewer = csvObjects((await tessera(['cost', 'export', '--month', '2026-01'], as(p.tokens.alphaViewer))).stdout);
    expect(new Set(viewer.map((x) => x.SubAccountId))).toEqual(new Set(['alpha']));
  });

  it('budget set, list and delete, as a project admin; a viewer is refused with the server’s reason', async () => {
    const set = await tessera(['cost', 'budget', 'set', 'beta', '--monthly', '250.5', '--thresholds', '50,90'], as(p.tokens.betaAdmin));
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/^Budget of beta: \$250\.50 a month, thresholds 50%, 90%\. Spent in \d{4}-\d{2}: \$\d+\.\d+ \(\d+(\.\d)?%\), forecast \$\d+\.\d+\.\n$/);
    const list = await tessera(['cost', 'budget', 'list'], as(p.tokens.betaAdmin));
    expect(list.stdout).toMatch(/^PROJECT\s+MONTHLY\s+SPENT\s+%\s+FORECAST\s+RUN-RATE\s+THRESHOLDS\s+CROSSED\n/);
    expect(list.stdout).toMatch(/\nbeta\s+\$250\.50\s+\$\d+\.\d+\s+\d+(\.\d)?%\s+\$\d+\.\d+\s+\$\d+\.\d+\/h\s+50%,90%\s+-\n/);
    const json = JSON.parse((await tessera(['cost', 'budget', 'list', '-o', 'json'], as(p.tokens.betaAdmin))).stdout) as BudgetView[];
    expect(json.map((b) => [b.project, b.monthlyMicros])).toEqual([['beta', 250_500_000]]);
    const refused = await tessera(['cost', 'budget', 'set', 'alpha', '--monthly', '10'], as(p.tokens.alphaViewer));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: this needs the admin role in a project, and you hold it in none/);
    const removed = await tessera(['cost', 'budget', 'delete', 'beta'], as(p.tokens.betaAdmin));
    expect(removed.stdout).toBe('Budget of beta removed.\n');
    expect((await tessera(['cost', 'budget', 'list', '-o', 'json'], env)).stdout).toBe('[]\n');
  });

  it('mistakes on the command line exit 2 before any request; the server’s refusals exit 1 with its message', async () => {
    const usage: [string[], RegExp][] = [
      [['cost', 'report', '--idle', 'sometimes'], /--idle is one of none, show, even, proportional/],
      [['cost', 'report', '--month', '2026-13'], /--month: "2026-13" is not a month: write it as YYYY-MM/],
      [['cost', 'report', '--month', '2026-01', '--from', '2026-01-02'], /give either --month or --from\/--to, not both/],
      [['cost', 'export', '--format', 'parquet'], /--format must be focus, not "parquet"/],
      [['cost', 'budget', 'set', 'beta', '--monthly', 'lots'], /expected an amount in USD above 0/],
      [['cost', 'budget', 'set', 'beta', '--monthly', '5', '--thresholds', '50,0'], /whole percentages from 1 to 1000/],
      [['cost', 'budget', 'set', 'Bad_Name', '--monthly', '5'], /names are 1-63 lowercase letters/],
    ];
    for (const [args, message] of usage) {
      const r = await tessera(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const server = await tessera(['cost', 'report', '--by', 'colour'], env);
    expect(server.code).toBe(1);
    expect(server.stderr).toMatch(/^error: cannot group by "colour": use project, provider/);
  });
});
