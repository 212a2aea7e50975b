import type { Command } from 'commander';
import type { Criterion, MaturityAssessment } from '../../metering/maturity.js';
import { commandContext } from '../context.js';
import type { CliIo } from '../io.js';

/** `tessera maturity`: the organisation's Cloud Maturity Model level and the evidence for each criterion. */
export function registerMaturityCommand(program: Command, io: CliIo): void {
  program
    .command('maturity')
    .description("the organisation's ODCA Cloud Maturity Model level (0–5), computed from live evidence")
    .action(async (_flags: object, command: Command) => {
      const ctx = commandContext(command, io);
      const m = await ctx.client.get<MaturityAssessment>('/v1/maturity');
      const line = (c: Criterion) => `  ${c.met ? '[x]' : '[ ]'} ${c.level}  ${c.criterion}: ${c.evidence}`;
      ctx.printer.result(m, () =>
        [
          `Cloud Maturity Model level ${m.level}: ${m.name}`,
          '',
          ...m.criteria.map(line),
          ...(m.next.length > 0 ? ['', `To reach level ${m.level + 1}:`, ...m.next.map((c) => `  - ${c.criterion} (now: ${c.evidence})`)] : []),
        ].join('\n'),
      );
    });
}
