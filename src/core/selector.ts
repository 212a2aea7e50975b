import { InvalidInputError } from './errors.js';
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from './resource.js';

/**
 * Kubernetes-style label selector requirements: `app=web`, `tier!=db`, `env in (a,b)`, `env notin (a)`,
 * `gpu` (key exists), `!gpu` (key absent). Parsed once at the edge; the store turns them into SQL.
 */
export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

/** The label patterns without their anchors, to embed in the selector grammar. */
const unanchored = (re: RegExp) => re.source.replace(/^\^/, '').replace(/\$$/, '');
const KEY = unanchored(LABEL_KEY_PATTERN);
const VALUE = unanchored(LABEL_VALUE_PATTERN);
const EQ = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^()]*)\\)$`);
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);

function bad(selector: string, part: string): never {
  throw new InvalidInputError(
    `label selector ${JSON.stringify(selector)} is not valid at ${JSON.stringify(part)}: ` +
      'use comma-separated terms such as "app=web", "tier!=db", "env in (prod,staging)", "gpu" or "!gpu"',
    { field: 'selector' },
  );
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim());
}

export const MAX_SELECTOR_TERMS = 20;

export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  if (selector.length > 4096) bad(selector.slice(0, 40) + '…', 'length (max 4096 characters)');
  const terms = splitTerms(selector);
  // Each term is a sub-query; a bound keeps one request from tying up the database.
  if (terms.length > MAX_SELECTOR_TERMS) bad(selector.slice(0, 40) + '…', `${terms.length} terms (max ${MAX_SELECTOR_TERMS})`);
  return terms.map((term): LabelRequirement => {
    if (term === '') bad(selector, term);
    let m = EQ.exec(term);
    if (m) {
      const op = m[4] === '!=' ? 'neq' : 'eq';
      return { op, key: m[1]!, value: m[5] ?? '' };
    }
    m = SET.exec(term);
    if (m) {
      const values = m[5]!.split(',').map((v) => v.trim());
      if (values.some((v) => v === '' || !VALUE_ONLY.test(v))) bad(selector, term);
      return { op: m[4] === 'in' ? 'in' : 'notin', key: m[1]!, values };
    }
    m = EXISTS.exec(term);
    if (m) return { op: m[1] ? 'absent' : 'exists', key: m[2]! };
    return bad(selector, term);
  });
}

/** Whether labels satisfy every requirement, as the store's SQL reads them (a `!=` or `notin` also matches a missing key). */
export function matchesLabels(labels: Record<string, string>, requirements: LabelRequirement[]): boolean {
  return requirements.every((req) => {
    const value = labels[req.key];
    switch (req.op) {
      case 'eq':
        return value === req.value;
      case 'neq':
        return value !== req.value;
      case 'in':
        return value !== undefined && req.values.includes(value);
      case 'notin':
        return value === undefined || !req.values.includes(value);
      case 'exists':
        return value !== undefined;
      case 'absent':
        return value === undefined;
    }
  });
}
