/**
 * What each project was charged in each time bucket, overall and on each private provider with a cost model:
 * who receives shared and idle cost there, and the weights of a proportional split. Also what every instance on
 * those providers was charged (shared ones included), which idle capacity is measured against.
 */
export class BucketUsage {
  /** bucket → project → µ$ charged (instances that are not shared). */
  private readonly byProject = new Map<string, Map<string, number>>();
  /** bucket → provider → project → µ$ charged (instances that are not shared). */
  private readonly byProviderProject = new Map<string, Map<string, Map<string, number>>>();
  /** bucket → provider → µ$ charged to every instance there. */
  private readonly charged = new Map<string, Map<string, number>>();

  constructor(
    /** Private providers whose idle capacity is wanted; others need no per-provider figures. */
    private readonly idleProviders: ReadonlySet<string>,
  ) {}

  add(bucket: string, project: string, provider: string, micros: number, shared: boolean): void {
    const onIdleProvider = this.idleProviders.has(provider);
    if (onIdleProvider) addTo(child(this.charged, bucket), provider, micros);
    if (shared) return;
    addTo(child(this.byProject, bucket), project, micros);
    if (onIdleProvider) addTo(child(child(this.byProviderProject, bucket), provider), project, micros);
  }

  /** Projects charged for anything in the bucket (a zero charge counts: they ran something), with their charge. */
  projectsIn(bucket: string): ReadonlyMap<string, number> {
    return this.byProject.get(bucket) ?? EMPTY;
  }

  /** Projects that ran something on the provider in the bucket, with their charge there. */
  projectsOn(bucket: string, provider: string): ReadonlyMap<string, number> {
    return this.byProviderProject.get(bucket)?.get(provider) ?? EMPTY;
  }

  /** What every instance on the provider was charged in the bucket. */
  chargedOn(bucket: string, provider: string): number {
    return this.charged.get(bucket)?.get(provider) ?? 0;
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();

function child<V>(m: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let c = m.get(key);
  if (!c) {
    c = new Map();
    m.set(key, c);
  }
  return c;
}

function addTo(m: Map<string, number>, key: string, micros: number): void {
  m.set(key, (m.get(key) ?? 0) + micros);
}
