import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/runtime/config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-federation-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string) {
  writeFileSync(join(dir, 'tessera.yaml'), yaml);
  return loadConfig({ env: {}, cwd: dir });
}

function problems(yaml: string): string {
  try {
    load(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

/** One account, with the role section given (indented as a list item of `roles:`). */
function account(fields: string, roles = '          - { arn: "arn:aws:iam::123456789012:role/Operators", grantedTo: [{ orgAdmin: true }] }'): string {
  return `federation:\n  aws:\n    accounts:\n      - ${fields}\n        roles:\n${roles}\n`;
}

describe('the federation section of tessera.yaml', () => {
  it('reads accounts, roles and grants, leaving optional settings to their defaults', () => {
    const { federation } = load(
      account(
        'id: "123456789012"\n        name: prod\n        samlProviderArn: arn:aws:iam::123456789012:saml-provider/Tessera',
        '          - arn: arn:aws:iam::123456789012:role/ops/Operators\n' +
          '            name: operators\n' +
          '            grantedTo: [{ orgAdmin: true }, { project: alpha, role: operator }]',
      ),
    );
    expect(federation).toEqual({
      aws: {
        accounts: [
          {
            id: '123456789012',
            name: 'prod',
            samlProviderArn: 'arn:aws:iam::123456789012:saml-provider/Tessera',
            roles: [{ arn: 'arn:aws:iam::123456789012:role/ops/Operators', name: 'operators', grantedTo: [{ orgAdmin: true }, { project: 'alpha', role: 'operator' }] }],
          },
        ],
      },
    });
  });

  it('asks for the account id to be quoted: YAML reads 012345678901 as a number and loses the zero', () => {
    expect(problems(account('id: 012345678901\n        samlProviderArn: arn:aws:iam::012345678901:saml-provider/Tessera'))).toContain(
      '  - federation.aws.accounts[0].id: must be quoted: id: "012345678901" (unquoted, YAML reads a number and drops leading zeros)',
    );
  });

  it('refuses a provider or a role of another account than the one it is listed under', () => {
    const message = problems(
      account(
        'id: "123456789012"\n        samlProviderArn: arn:aws:iam::999999999999:saml-provider/Tessera',
        '          - { arn: "arn:aws:iam::888888888888:role/Operators", grantedTo: [{ orgAdmin: true }] }',
      ),
    );
    expect(message).toContain('federation.aws.accounts[0].samlProviderArn: names account 999999999999, not this account (123456789012)');
    expect(message).toContain('federation.aws.accounts[0].roles[0].arn: names account 888888888888, not this account (123456789012)');
  });

  it('explains the two forms of a grant when one is half written, mixed, or misspelt', () => {
    const withGrants = (grants: string) =>
      problems(account('id: "123456789012"\n        samlProviderArn: arn:aws:iam::123456789012:saml-provider/Tessera', `          - { arn: "arn:aws:iam::123456789012:role/Operators", grantedTo: [${grants}] }`));
    expect(withGrants('{ project: alpha }')).toContain(
      'federation.aws.accounts[0].roles[0].grantedTo[0]: a grant is { orgAdmin: true } (organisation admins) or { project: NAME, role: viewer|operator|admin }',
    );
    expect(withGrants('{ orgAdmin: true, project: alpha, role: viewer }')).toContain('write either { orgAdmin: true } or { project: NAME, role: ROLE } in one grant, not both');
    expect(withGrants('{ orgAdmin: false }')).toContain('grantedTo[0].orgAdmin: must be true');
    expect(withGrants('{ project: alpha, role: owner }')).toContain('grantedTo[0].role: must be one of: viewer, operator, admin');
    expect(withGrants('{ projects: alpha, role: viewer }')).toContain('unknown key "projects"; the keys allowed here are: orgAdmin, project, role');
    expect(withGrants('')).toContain('grantedTo: must list at least one grant');
  });

  it('refuses malformed ARNs, session lengths AWS does not allow, and names used twice', () => {
    const message = problems(
      'federation:\n  aws:\n    accounts:\n' +
        '      - id: "123456789012"\n        name: prod\n        samlProviderArn: arn:aws:iam::123456789012:Tessera\n        sessionSeconds: 60\n' +
        '        roles:\n          - { arn: "arn:aws:iam::123456789012:user/bob", grantedTo: [{ orgAdmin: true }] }\n' +
        '      - id: "210987654321"\n        name: prod\n        samlProviderArn: arn:aws:iam::210987654321:saml-provider/Tessera\n' +
        '        roles:\n          - { arn: "arn:aws:iam::210987654321:role/A", name: a, grantedTo: [{ orgAdmin: true }] }\n' +
        '          - { arn: "arn:aws:iam::210987654321:role/B", name: a, grantedTo: [{ orgAdmin: true }] }\n',
    );
    expect(message).toContain("accounts[0].samlProviderArn: must be the ARN of the IAM SAML provider made from Tessera's metadata");
    expect(message).toContain('accounts[0].sessionSeconds: must be at least 900');
    expect(message).toContain('accounts[0].roles[0].arn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/Operators');
    expect(message).toContain('accounts[1]: "prod" is already used by accounts[0]; account ids and names must be unique');
    expect(message).toContain('accounts[1].roles[1]: "a" is already used by roles[0]; role ARNs and names must be unique in an account');
  });
});
