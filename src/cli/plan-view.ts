import type { z } from 'zod';
import type { PlanView } from '../api/routes/deployments.js';
import { formatUsd } from '../core/money.js';

export type DeploymentPlanView = z.infer<typeof PlanView>;
type Change = DeploymentPlanView['changes'][number];
type Where = NonNullable<Change['from']>;

const SYMBOL: Record<Change['action'], string> = { create: '+', replace: '~', delete: '-', keep: ' ' };

function at(w: Where): string {
  return `${w.provider}/${w.region}/${w.flavor}${w.market === 'spot' ? ' (spot)' : ''}`;
}

function perHour(micros: number): string {
  return `$${formatUsd(micros)}/h`;
}

/** A month's difference, to the cent (the hourly figures keep the catalog's precision). */
function signedMonthly(micros: number): string {
  const cents = Math.round(Math.abs(micros) / 10_000) * 10_000;
  return `${micros < 0 ? '-' : '+'}$${formatUsd(cents)}`;
}

/**
 * A plan as Terraform prints one: a line per replica that changes (+ create, ~ replace, - delete) with where it
 * goes and what it costs, unchanged ones counted, the optimiser's choice and the cheapest offers it passed over.
 */
export function renderPlan(title: string, plan: DeploymentPlanView): string {
  const lines = [`${title} ${plan.project}/${plan.name}${plan.exists ? '' : ' (new)'}`];
  for (const c of plan.changes.filter((x) => x.action !== 'keep')) {
    const who = c.replica ?? '(new replica)';
    const where = c.action === 'create' ? at(c.to!) : c.action === 'delete' ? at(c.from!) : at(c.from!) === at(c.to!) ? at(c.to!) : `${at(c.from!)} → ${at(c.to!)}`;
    const price = c.action === 'create' ? perHour(c.to!.priceMicrosPerHour) : c.action === 'delete' ? perHour(c.from!.priceMicrosPerHour) : perHour(c.to!.priceMicrosPerHour);
    lines.push(`  ${SYMBOL[c.action]} ${c.action.padEnd(7)} ${who.padEnd(18)} ${where.padEnd(34)} ${price.padStart(11)}  ${c.reason}`);
  }
  if (plan.summary.keep > 0) lines.push(`    ${plan.summary.keep} replica(s) unchanged`);
  const p = plan.placement;
  if (p) {
    const offers = p.offers.map((o) => `${o.replicas} × ${at(o)} at ${perHour(o.priceMicrosPerHour)}`).join(', ');
    lines.push(`  placement (${p.objective}, ${p.method === 'exact' ? 'proven optimal' : 'fast method'}): ${offers}`);
    const used = new Set(p.offers.map(at));
    for (const r of p.rejectedAlternatives.slice(0, 3)) {
      lines.push(`    ${used.has(at(r)) ? 'no more on' : 'passed over'} ${at(r)} at ${perHour(r.priceMicrosPerHour)}: ${r.reason}`);
    }
  }
  const s = plan.summary;
  lines.push(
    `Plan: ${s.create} to create, ${s.replace} to replace, ${s.delete} to delete, ${s.keep} unchanged. ` +
      `${perHour(plan.hourlyBeforeMicros)} → ${perHour(plan.hourlyAfterMicros)} (${signedMonthly(plan.monthlyDeltaMicros)} a month)`,
  );
  return lines.join('\n');
}
