import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logger.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const output = () => lines.join('');
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, output, records };
}

const SECRETS = {
  password: 'pw-top-level-1',
  awsSecret: 'aws-secret-2',
  dbPassword: 'db-password-3',
  token: 'api-token-4',
  bearer: 'Bearer bearer-5',
  cookie: 'sid=cookie-6',
  deep: 'deep-secret-7',
  env: 'env-secret-8',
  child: 'child-credential-9',
  inArray: 'array-secret-10',
  apiKey: 'api-key-11',
};

describe('createLogger', () => {
  it('writes one JSON object a line with a level label and an ISO time', () => {
    const { logger, records } = capture();
    logger.info({ instance: 'i-123' }, 'created');
    const [record] = records();
    expect(record).toMatchObject({ level: 'info', instance: 'i-123', msg: 'created' });
    expect(record!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('honours the level', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines).toHaveLength(1);
  });

  it('never writes a logged credential, at any depth or under any secret-looking key', () => {
    const { logger, output } = capture();
    logger.info({
      password: SECRETS.password,
      provider: {
        name: 'aws-east',
        credentials: { accessKeyId: 'AKIA', secretAccessKey: SECRETS.awsSecret },
        config: { database: { dbPassword: SECRETS.dbPassword, options: { nested: { clientSecret: SECRETS.deep } } } },
      },
      token: SECRETS.token,
      req: { method: 'GET', headers: { Authorization: SECRETS.bearer, cookie: SECRETS.cookie } },
      env: { AWS_SECRET_ACCESS_KEY: SECRETS.env, 'x-api-key': SECRETS.apiKey },
      accounts: [{ name: 'a' }, { name: 'b', privateKey: SECRETS.inArray }],
    });
    logger.child({ credentials: SECRETS.child }).warn('child logger');

    const text = output();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('aws-east');
    expect(text).toContain('"method":"GET"');
  });

  it('redacts request headers built by serializers, which run after the key walk', () => {
    const { logger, output } = capture();
    const withRequestSerializer = logger.child(
      {},
      { serializers: { req: () => ({ headers: { authorization: SECRETS.bearer, cookie: SECRETS.cookie, host: 'h' } }) } },
    );
    withRequestSerializer.info({ req: {} }, 'request');
    expect(output()).not.toContain(SECRETS.bearer);
    expect(output()).not.toContain(SECRETS.cookie);
    expect(output()).toContain('"host":"h"');
  });

  it('keeps the bindings of every generation of child logger', () => {
    const { logger, records } = capture();
    logger.child({ requestId: 'r-1' }).child({ controller: 'compute', token: SECRETS.token }).info('reconciled');
    expect(records()[0]).toMatchObject({ requestId: 'r-1', controller: 'compute', token: '[REDACTED]' });
  });

  it('keeps fields that only look a little like secrets', () => {
    const { logger, records } = capture();
    logger.info({ tokenCount: 3, author: 'ada', passes: 2 });
    expect(records()[0]).toMatchObject({ tokenCount: 3, author: 'ada', passes: 2 });
  });

  it("leaves the caller's object untouched", () => {
    const { logger } = capture();
    const spec = { provider: { password: SECRETS.password } };
    logger.info(spec);
    expect(spec.provider.password).toBe(SECRETS.password);
  });

  it('copes with cycles without leaking through them', () => {
    const { logger, output } = capture();
    const node: Record<string, unknown> = { name: 'loop', password: SECRETS.password };
    node.self = node;
    logger.info({ node });
    expect(output()).not.toContain(SECRETS.password);
    expect(output()).toContain('[Circular]');
  });

  it('still logs errors with their message and stack', () => {
    const { logger, records } = capture();
    logger.error({ err: new Error('provider timed out') }, 'call failed');
    expect(records()[0]).toMatchObject({ err: { type: 'Error', message: 'provider timed out' } });
    expect((records()[0]!.err as { stack: string }).stack).toContain('provider timed out');
  });
});
