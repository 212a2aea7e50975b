import { formatUsd } from '../../core/money.js';
import type { BucketUsage } from './bucket-usage.js';
import type { CellTable } from './cost-cells.js';
import { SHARED_LABEL, SHARED_PROJECT } from './cost-report.js';
import { shareOut, type Split } from './share-out.js';

/**
 * Gives the cost of shared instances (labelled tessera.io/shared=true) to the projects that ran anything else in
 * the same time bucket, evenly or by what they were charged. Only the project changes hands: the share keeps the
 * shared instance's provider, region, flavor and labels, so a report by provider is the same before and after.
 * The (shared) cell keeps its hours and shows what it gave away as negative sharedMicros. Answers its notes.
 */
export function distributeSharedCost(table: CellTable, usage: BucketUsage, split: Split): string[] {
  let given = 0;
  let kept = 0;
  let fellBack = false;
  for (const cell of table.all()) {
    if (cell.project !== SHARED_PROJECT || cell.usageMicros === 0) continue;
    const s = shareOut(cell.usageMicros, usage.projectsIn(cell.bucket), split);
    if (!s) {
      kept += cell.usageMicros;
      continue;
    }
    fellBack ||= s.fellBackToEven;
    s.projects.forEach((project, i) => {
      const share = s.shares[i]!;
      if (share !== 0) table.cell(table.withProject(cell.values, project), project, project, cell.bucket).sharedMicros += share;
    });
    cell.sharedMicros -= cell.usageMicros;
    given += cell.usageMicros;
  }
  const notes: string[] = [];
  if (given !== 0) {
    notes.push(
      `shared: $${formatUsd(given)} of instances labelled ${SHARED_LABEL}=true was split ${split === 'even' ? 'equally' : 'in proportion to what each was charged'} ` +
        'among the projects that ran anything else in the same time bucket (their rows show it as sharedMicros; the (shared) rows show it given away)',
    );
  }
  if (fellBack) notes.push('shared: where no recipient was charged anything (only stopped or unpriced instances), the split was equal');
  if (kept !== 0) notes.push(`shared: $${formatUsd(kept)} stays on (shared) rows: no other project ran anything in those time buckets`);
  return notes;
}
