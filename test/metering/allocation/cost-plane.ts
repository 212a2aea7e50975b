import type { ProviderConfig } from '../../../src/providers/registry.js';
import { signedIn, simProvider, startTestPlane, type TestPlane } from '../../support/control-plane.js';
import type { TestDatabase } from '../../support/databases.js';
import { ClockedEstate } from './clocked-estate.js';
import { demoCostModel } from '../../../src/api/demo-estate.js';

/** A private cloud with a cost model (2 servers), and a simulated AWS selling at the bundled catalog's list prices. */
export const COST_PROVIDERS: ProviderConfig[] = [
  simProvider('onprem', {}, {
    costModel: { ...demoCostModel(2), cpuMemorySplit: { cpuShare: 0.6 } },
  }),
  { name: 'aws-sim', type: 'sim', rateLimit: { perSecond: null, burst: 1 }, config: { flavors: { catalog: { provider: 'aws' } } } },
];

export interface CostPlane {
  t: TestPlane;
  /** Signed-in views of the API: a viewer of alpha, an admin of beta, an admin of alpha. */
  as: { alphaViewer: TestPlane['app']; betaAdmin: TestPlane['app']; alphaAdmin: TestPlane['app'] };
  tokens: { alphaViewer: string; betaAdmin: string; alphaAdmin: string };
}

/**
 * A control plane over an estate whose history was written beforehand on a clock the test chose (the events are
 * what a controller would have written then); the server builds its ledger from them like any other events.
 *
 *   January 2026: alpha web onprem large Jan 1–11 (240 h); alpha api aws-sim m6i.large ap-northeast-2 Jan 1–2;
 *                 beta db onprem small Jan 5–6, team=data; ops mon onprem small all month, tessera.io/shared=true.
 *   November 2026: beta job onprem large running since Nov 1 (still running now).
 */
export async function startCostPlane(tdb: TestDatabase): Promise<CostPlane> {
  const e = await ClockedEstate.open(tdb, '2026-01-01T00:00:00.000Z');
  try {
    const web = await e.run({ name: 'web', project: 'alpha', provider: 'onprem', flavor: 'large', labels: { team: 'web' } });
    const api = await e.run({ name: 'api', project: 'alpha', provider: 'aws-sim', region: 'ap-northeast-2', flavor: 'm6i.large', labels: { team: 'api' } });
    const mon = await e.run({ name: 'mon', project: 'ops', provider: 'onprem', flavor: 'small', labels: { 'tessera.io/shared': 'true' } });
    e.at('2026-01-02T00:00:00.000Z');
    await e.remove(api);
    e.at('2026-01-05T00:00:00.000Z');
    const db = await e.run({ name: 'db', project: 'beta', provider: 'onprem', flavor: 'small', labels: { team: 'data' } });
    e.at('2026-01-06T00:00:00.000Z');
    await e.remove(db);
    e.at('2026-01-11T00:00:00.000Z');
    await e.remove(web);
    e.at('2026-02-01T00:00:00.000Z');
    await e.remove(mon);
    e.at('2026-11-01T00:00:00.000Z');
    await e.run({ name: 'job', project: 'beta', provider: 'onprem', flavor: 'large' });
  } finally {
    await e.close();
  }
  const t = await startTestPlane(tdb, COST_PROVIDERS, { background: false });
  const ok = async (res: { statusCode: number; body: string }, status: number) => {
    if (res.statusCode !== status) throw new Error(`setup: expected ${status}, got ${res.statusCode}: ${res.body}`);
    return JSON.parse(res.body) as { secret?: string };
  };
  for (const name of ['alpha', 'beta', 'ops']) await ok(await t.app.inject({ method: 'POST', url: '/v1/projects', payload: { name } }), 201);
  const member = async (name: string, project: string, role: string) => {
    await ok(await t.app.inject({ method: 'POST', url: '/v1/service-accounts', payload: { name } }), 201);
    await ok(await t.app.inject({ method: 'PUT', url: `/v1/projects/${project}/members/${name}`, payload: { role } }), 200);
    return (await ok(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: `${name}-token`, principal: name } }), 201)).secret!;
  };
  const tokens = { alphaViewer: await member('alpha-viewer', 'alpha', 'viewer'), betaAdmin: await member('beta-admin', 'beta', 'admin'), alphaAdmin: await member('alpha-admin', 'alpha', 'admin') };
  return {
    t,
    tokens,
    as: { alphaViewer: signedIn(t.anonymous, tokens.alphaViewer), betaAdmin: signedIn(t.anonymous, tokens.betaAdmin), alphaAdmin: signedIn(t.anonymous, tokens.alphaAdmin) },
  };
}
