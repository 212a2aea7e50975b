/**
 * The organisation's level in the Open Data Center Alliance's Cloud Maturity Model (0–5), computed from live
 * evidence rather than a questionnaire. ODCA's levels, in its words: 0 none, 1 initial (ad hoc), 2 repeatable
 * (opportunistic), 3 defined (systematic), 4 measured (managed), 5 optimised (federated). Which evidence stands
 * for each level is Tessera's reading of the model for a heterogeneous estate; each criterion is listed with its
 * figure, so the verdict can be checked and argued with.
 */

export interface MaturityEvidence {
  instances: { total: number; managed: number; placedFromRequirements: number };
  /** Configured providers that are not simulations, by whose prices they bill at; simulated ones apart. */
  providers: { private: string[]; public: string[]; simulated: string[] };
  /** Instance creates of the last 30 days, and those made by service accounts (automation) or deployments. */
  creates30d: { total: number; automated: number };
  singleSignOn: boolean;
  /** Public clouds people sign in to through Tessera (federation). */
  cloudFederation: string[];
  metering: {
    /** Instance-hours of the last 30 days in the usage ledger, and those with a catalog price. */
    instanceHours30d: number;
    pricedHours30d: number;
    budgets: number;
    /** Hours of performance rollups received over OTLP in the last 30 days. */
    metricHours30d: number;
  };
  /** Units of useful work with a measured cost per unit. */
  pricePerformanceMeasured: number;
}

export interface Criterion {
  level: number;
  criterion: string;
  met: boolean;
  /** The figure the verdict rests on. */
  evidence: string;
}

export interface MaturityAssessment {
  level: number;
  name: string;
  criteria: Criterion[];
  /** What to do to reach the next level: its criteria not yet met. */
  next: Criterion[];
}

const NAMES = ['none', 'initial (ad hoc)', 'repeatable (opportunistic)', 'defined (systematic)', 'measured (managed)', 'optimised (federated)'];

const pct = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const show = (x: number) => `${(x * 100).toFixed(1)} %`;
/** Hours with enough digits that a small estate's figure does not read as zero. */
const hours = (h: number) => h.toFixed(h < 10 ? 3 : 1);

export function assessMaturity(e: MaturityEvidence): MaturityAssessment {
  const integrated = e.providers.private.length + e.providers.public.length;
  const managedShare = pct(e.instances.managed, e.instances.total);
  const automatedShare = pct(e.creates30d.automated, e.creates30d.total);
  const pricedShare = pct(e.metering.pricedHours30d, e.metering.instanceHours30d);
  const requirementsShare = pct(e.instances.placedFromRequirements, e.instances.managed);
  const simulatedNote = e.providers.simulated.length > 0 ? ` (simulated, not counted: ${e.providers.simulated.join(', ')})` : '';

  const criteria: Criterion[] = [
    { level: 1, criterion: 'at least one real provider integrated', met: integrated >= 1, evidence: `${integrated} provider(s)${simulatedNote}` },
    { level: 1, criterion: 'resources under API management', met: e.instances.managed >= 1, evidence: `${e.instances.managed} managed instance(s)` },
    { level: 2, criterion: 'at least half of the estate under API management', met: managedShare >= 0.5, evidence: `${show(managedShare)} of ${e.instances.total}` },
    { level: 2, criterion: 'at least two providers integrated', met: integrated >= 2, evidence: `${integrated}` },
    { level: 3, criterion: 'at least 80 % of the estate under API management', met: managedShare >= 0.8, evidence: show(managedShare) },
    {
      level: 3,
      criterion: 'private and public infrastructure integrated',
      met: e.providers.private.length >= 1 && e.providers.public.length >= 1,
      evidence: `private: ${e.providers.private.join(', ') || 'none'}; public: ${e.providers.public.join(', ') || 'none'}`,
    },
    { level: 3, criterion: 'single sign-on with the company identity', met: e.singleSignOn, evidence: e.singleSignOn ? 'SAML configured' : 'not configured' },
    {
      level: 3,
      criterion: 'at least a quarter of creates automated (service accounts, deployments)',
      met: automatedShare >= 0.25,
      evidence: `${e.creates30d.automated} of ${e.creates30d.total} creates in 30 days (${show(automatedShare)})`,
    },
    {
      level: 4,
      criterion: 'usage metered and priced (≥ 95 % of instance-hours)',
      met: e.metering.instanceHours30d > 0 && pricedShare >= 0.95,
      evidence: `${hours(e.metering.pricedHours30d)} of ${hours(e.metering.instanceHours30d)} instance-hours priced (${show(pricedShare)})`,
    },
    { level: 4, criterion: 'budgets set for projects', met: e.metering.budgets >= 1, evidence: `${e.metering.budgets} budget(s)` },
    { level: 4, criterion: 'performance measured (OTLP metrics received)', met: e.metering.metricHours30d > 0, evidence: `${e.metering.metricHours30d} instance-metric-hours in 30 days` },
    {
      level: 5,
      criterion: 'at least three providers, one of them public',
      met: integrated >= 3 && e.providers.public.length >= 1,
      evidence: `${integrated} providers, ${e.providers.public.length} public`,
    },
    { level: 5, criterion: 'identity federated into a public cloud', met: e.cloudFederation.length >= 1, evidence: e.cloudFederation.join(', ') || 'none' },
    { level: 5, criterion: 'price-performance measured', met: e.pricePerformanceMeasured >= 1, evidence: `${e.pricePerformanceMeasured} unit(s) of work with a cost per unit` },
    {
      level: 5,
      criterion: 'placement chosen by Tessera for at least half of the managed instances (requirements, not a named flavor)',
      met: requirementsShare >= 0.5,
      evidence: `${e.instances.placedFromRequirements} of ${e.instances.managed} (${show(requirementsShare)})`,
    },
  ];

  // A level counts only when every criterion of it and of every level below is met.
  let level = 0;
  for (let l = 1; l <= 5; l++) {
    if (!criteria.filter((c) => c.level === l).every((c) => c.met)) break;
    level = l;
  }
  return { level, name: NAMES[level]!, criteria, next: criteria.filter((c) => c.level === level + 1 && !c.met) };
}
