/**
 * Parsers for option values. They throw commander's InvalidArgumentError, so a bad value is reported like any
 * other usage error (exit code 2) before a request is sent.
 */
import { InvalidArgumentError } from 'commander';
import { LabelKey, LabelValue } from '../core/resource.js';
import { parseLabelSelector } from '../core/selector.js';
import { TesseraError } from '../core/errors.js';
import { InstanceName } from '../core/instance.js';

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new InvalidArgumentError('expected a whole number above 0');
  return n;
}

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number (0 or more)');
  return Number(value);
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

/** `--label k=v`, repeatable: each occurrence adds one label to those before it. */
export function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value, e.g. app=web');
  const key = value.slice(0, eq);
  const labelValue = value.slice(eq + 1);
  const keyCheck = LabelKey.safeParse(key);
  if (!keyCheck.success) throw new InvalidArgumentError(keyCheck.error.issues[0]?.message ?? 'invalid label key');
  const valueCheck = LabelValue.safeParse(labelValue);
  if (!valueCheck.success) throw new InvalidArgumentError(valueCheck.error.issues[0]?.message ?? 'invalid label value');
  return { ...previous, [key]: labelValue };
}

/** Checks a label selector with the same parser the server uses, and passes it on unchanged. */
export function labelSelector(value: string): string {
  try {
    parseLabelSelector(value);
  } catch (error) {
    if (error instanceof TesseraError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL');
  return value;
}

/** Names of instances and projects: DNS-label-like, as providers accept them for hostnames and tags. */
export function resourceName(value: string): string {
  const check = InstanceName.safeParse(value);
  if (!check.success) throw new InvalidArgumentError(check.error.issues[0]?.message ?? 'invalid name');
  return value;
}
