import { clientError, invalidParameterValue } from './ec2-error.js';

/**
 * Reading EC2 Query parameters. The EC2 flavour of the Query protocol flattens lists as `Name.N` (1-based) and
 * structures as `Name.Member`: `InstanceId.1`, `Filter.2.Value.1`, `TagSpecification.1.Tag.3.Key`.
 */
export class QueryParams {
  constructor(private readonly params: URLSearchParams) {}

  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /** Every parameter, for the call record and for comparing idempotent requests. */
  entries(): [string, string][] {
    return [...this.params.entries()];
  }

  /** The members `prefix.1`, `prefix.2`, … in index order (the indexes need not be dense). */
  list(prefix: string): string[] {
    return this.indexes(prefix).map((i) => this.params.get(`${prefix}.${i}`)!).filter((v) => v !== null);
  }

  /** The indexes N for which some `prefix.N…` parameter exists, ascending. */
  indexes(prefix: string): number[] {
    const found = new Set<number>();
    const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(\\.|$)`);
    for (const key of this.params.keys()) {
      const m = pattern.exec(key);
      if (m) found.add(Number(m[1]));
    }
    return [...found].sort((a, b) => a - b);
  }

  int(name: string): number | undefined {
    const text = this.params.get(name);
    if (text === null) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n)) throw invalidParameterValue(`Invalid value '${text}' for ${name}`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const text = this.params.get(name);
    if (text === null) return undefined;
    if (text !== 'true' && text !== 'false') throw invalidParameterValue(`Invalid value '${text}' for ${name}: expected true or false`);
    return text === 'true';
  }

  filters(): Filter[] {
    return this.indexes('Filter').map((i) => {
      const name = this.params.get(`Filter.${i}.Name`);
      if (!name) throw clientError('InvalidParameterValue', `The filter 'null' is invalid`, `Filter.${i} has no Name`);
      return { name, values: this.list(`Filter.${i}.Value`) };
    });
  }

  /** `TagSpecification.N.ResourceType` with its `Tag.M.Key/Value`s. */
  tagSpecifications(): { resourceType: string; tags: [string, string][] }[] {
    return this.indexes('TagSpecification').map((i) => {
      const base = `TagSpecification.${i}`;
      const resourceType = this.params.get(`${base}.ResourceType`) ?? '';
      const tags = this.indexes(`${base}.Tag`).map((j): [string, string] => [this.params.get(`${base}.Tag.${j}.Key`) ?? '', this.params.get(`${base}.Tag.${j}.Value`) ?? '']);
      return { resourceType, tags };
    });
  }
}

export interface Filter {
  name: string;
  values: string[];
}
