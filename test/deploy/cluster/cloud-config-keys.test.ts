import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderNodeUserData } from '../../../src/deploy/cluster/kubeadm-cloud-init.js';
import { clusterRef, parseCluster, sharedSecrets } from './cluster-fixtures.js';

/**
 * `cloud-init schema --config-file` cannot run here (cloud-init is not installed, and is not to be). Instead, the
 * keys the user data uses are checked against the module keys cloud-init documents, as listed in its JSON schema
 * (cloudinit/config/schemas/schema-cloud-config-v1.json: cc_write_files, cc_apt_configure,
 * cc_package_update_upgrade_install, cc_runcmd). Only the modules Tessera uses are listed: anything else at the
 * top level is refused, so a typo (`run_cmd`, `write_file`) fails here instead of being ignored on a machine.
 */
const DOCUMENTED = {
  topLevel: new Set(['write_files', 'apt', 'package_update', 'package_upgrade', 'package_reboot_if_required', 'packages', 'runcmd']),
  writeFile: new Set(['path', 'content', 'source', 'owner', 'permissions', 'encoding', 'append', 'defer']),
  apt: new Set([
    'preserve_sources_list',
    'disable_suites',
    'primary',
    'security',
    'add_apt_repo_match',
    'debconf_selections',
    'sources_list',
    'conf',
    'https_proxy',
    'http_proxy',
    'proxy',
    'ftp_proxy',
    'sources',
  ]),
  aptSource: new Set(['source', 'keyid', 'key', 'keyserver', 'filename', 'append']),
};

/** Every way a cloud-config departs from the documented keys and value shapes of those modules. */
function cloudConfigProblems(userData: string): string[] {
  const problems: string[] = [];
  if (!userData.startsWith('#cloud-config\n')) problems.push('the first line must be #cloud-config');
  const config = parse(userData) as Record<string, unknown>;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  for (const key of Object.keys(config)) if (!DOCUMENTED.topLevel.has(key)) problems.push(`unknown top-level key "${key}"`);

  const files = config.write_files;
  if (files !== undefined) {
    if (!Array.isArray(files) || files.length === 0) problems.push('write_files must be a non-empty list');
    else
      files.forEach((f, i) => {
        if (!isObject(f)) return problems.push(`write_files[${i}] is not a mapping`);
        for (const k of Object.keys(f)) if (!DOCUMENTED.writeFile.has(k)) problems.push(`write_files[${i}]: unknown key "${k}"`);
        if (typeof f.path !== 'string') problems.push(`write_files[${i}]: path is required`);
        if (f.content !== undefined && typeof f.content !== 'string') problems.push(`write_files[${i}]: content must be a string`);
        // cloud-init reads permissions as an octal string; a YAML number 0600 would be read as decimal 600.
        if (f.permissions !== undefined && !(typeof f.permissions === 'string' && /^0[0-7]{3}$/.test(f.permissions))) {
          problems.push(`write_files[${i}]: permissions must be an octal string such as '0600'`);
        }
        if (f.owner !== undefined && !(typeof f.owner === 'string' && /^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*$/.test(f.owner))) {
          problems.push(`write_files[${i}]: owner is user:group`);
        }
      });
  }

  const apt = config.apt;
  if (apt !== undefined) {
    if (!isObject(apt)) problems.push('apt must be a mapping');
    else {
      for (const k of Object.keys(apt)) if (!DOCUMENTED.apt.has(k)) problems.push(`apt: unknown key "${k}"`);
      if (apt.sources !== undefined) {
        if (!isObject(apt.sources)) problems.push('apt.sources must be a mapping');
        else
          for (const [name, source] of Object.entries(apt.sources)) {
            if (!isObject(source)) {
              problems.push(`apt.sources.${name} is not a mapping`);
              continue;
            }
            for (const k of Object.keys(source)) if (!DOCUMENTED.aptSource.has(k)) problems.push(`apt.sources.${name}: unknown key "${k}"`);
            if (typeof source.source === 'string' && source.source.includes('$KEY_FILE') && source.keyid === undefined && source.key === undefined) {
              problems.push(`apt.sources.${name}: $KEY_FILE needs keyid or key`);
            }
          }
      }
    }
  }

  for (const flag of ['package_update', 'package_upgrade', 'package_reboot_if_required']) {
    if (config[flag] !== undefined && typeof config[flag] !== 'boolean') problems.push(`${flag} must be true or false`);
  }
  const packages = config.packages;
  if (packages !== undefined) {
    if (!Array.isArray(packages) || packages.length === 0) problems.push('packages must be a non-empty list');
    else
      packages.forEach((p, i) => {
        const ok = typeof p === 'string' || (isStringList(p) && (p as string[]).length === 2);
        if (!ok) problems.push(`packages[${i}] must be a name or [name, version]`);
      });
  }

  const runcmd = config.runcmd;
  if (runcmd !== undefined) {
    if (!Array.isArray(runcmd) || runcmd.length === 0) problems.push('runcmd must be a non-empty list');
    else
      runcmd.forEach((c, i) => {
        if (!(typeof c === 'string' || isStringList(c))) problems.push(`runcmd[${i}] must be a string or a list of strings`);
      });
  }
  return problems;
}

describe("the user data uses only cloud-init's documented keys", () => {
  const secrets = sharedSecrets();
  const doc = parseCluster();
  const cluster = clusterRef(doc);
  const pool = doc.spec.workerPools[1];

  it('for every role', () => {
    for (const input of [
      { cluster, role: 'init' as const, secrets },
      { cluster, role: 'control-plane' as const, secrets },
      { cluster, role: 'worker' as const, pool, secrets },
    ]) {
      expect(cloudConfigProblems(renderNodeUserData(input))).toEqual([]);
    }
  });

  it('and the check itself catches what cloud-init would not understand', () => {
    const good = renderNodeUserData({ cluster, role: 'init', secrets });
    expect(cloudConfigProblems(`${good}run_cmd:\n  - echo hi\n`)).toEqual(['unknown top-level key "run_cmd"']);
    expect(cloudConfigProblems(good.replace('#cloud-config\n', ''))).toContain('the first line must be #cloud-config');
    expect(cloudConfigProblems(good.replace(/permissions: "?'?0600'?"?/, 'permissions: 0600'))).toContain(
      "write_files[2]: permissions must be an octal string such as '0600'",
    );
    expect(cloudConfigProblems(good.replace('keyserver:', 'key_server:'))).toContain('apt.sources.kubernetes.list: unknown key "key_server"');
  });
});
