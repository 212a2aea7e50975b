import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApi } from './fixtures-api-server.js';
import { runCli } from './fixtures-cli.js';
import { freePort } from '../support/server-process.js';

let api: FakeApi;
beforeAll(async () => {
  api = await FakeApi.start();
});
afterAll(() => api.close());

describe('exit code 2: the command line is wrong', () => {
  it.each([
    ['an unknown option', ['instance', 'list', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['instance', 'get'], /missing required argument/],
    ['an unknown command', ['instnace', 'list'], /unknown command 'instnace'/],
    ['a bad number', ['instance', 'create', 'web', '--vcpus', 'many', '--memory', '4'], /--vcpus.*expected a number/],
    ['a bad output format', ['provider', 'list', '-o', 'xml'], /Allowed choices are table, json, yaml/],
    ['a bad label', ['instance', 'create', 'web', '--flavor', 'f', '--label', 'novalue'], /expected key=value/],
    ['a bad selector', ['instance', 'list', '-l', 'app=(web'], /label selector/],
    ['a bad name', ['instance', 'create', 'Web_1', '--flavor', 'f'], /names are 1-63 lowercase/],
    ['no size for a create', ['instance', 'create', 'web'], /--flavor .* or --vcpus and --memory/],
    ['half a size', ['instance', 'create', 'web', '--vcpus', '2'], /--vcpus and --memory go together/],
    ['a bad --url', ['--url', 'nonsense', 'provider', 'list'], /expected a URL/],
    ['no command at all', [], /Usage: tessera/],
  ])('%s', async (_what, args, message) => {
    const run = await runCli(args, { url: api.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('sends nothing to the API', () => {
    expect(api.requests).toEqual([]);
  });
});

describe('exit code 0 for help and version', () => {
  it.each([[['--help']], [['instance', '--help']], [['instance', 'create', '--help']], [['help', 'instance']]])(
    '%j',
    async (args) => {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: tessera');
    },
  );

  it('--version', async () => {
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('exit code 1: the command ran and failed', () => {
  it('shows the API error message, code and request id on one line', async () => {
    const run = await runCli(['instance', 'get', 'i-0000000000000404'], { url: api.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: instance i-0000000000000404 not found (NotFound, HTTP 404, request req-test-1)\n');
  });

  it('quotes a response that is not a Tessera error', async () => {
    api.overrides.push((req, res) => {
      if (req.path !== '/v1/regions') return false;
      res.writeHead(418, { 'content-type': 'text/html' }).end('<h1>I am a teapot</h1>');
      return true;
    });
    const run = await runCli(['region', 'list'], { url: api.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: the server answered 418 I'm a Teapot: <h1>I am a teapot<\/h1> \(HTTP418, HTTP 418\)\n$/);
  });

  it('says the server is not reachable and how to start one', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['instance', 'list'], { url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the Tessera server at ${url} is not reachable (connection refused)`);
    expect(run.stderr).toContain('tessera server');
    expect(run.stderr).toContain('npm start');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('uses --url over TESSERA_URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['--url', api.url, 'provider', 'list', '-o', 'json'], { url });
    expect(run.code).toBe(0);
  });

  it('suggests a token when the server wants one', async () => {
    api.overrides.push((req, res) => {
      if (req.path !== '/v1/projects') return false;
      const ok = req.headers.authorization === 'Bearer s3cret';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { items: [] } : { error: { code: 'Unauthenticated', message: 'sign in first', requestId: 'r-9' } }));
      return true;
    });
    const without = await runCli(['project', 'list'], { url: api.url, env: { TESSERA_TOKEN: '' } });
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('sign in first; sign in with tessera login (or set TESSERA_TOKEN to an API token)');
    const withToken = await runCli(['project', 'list'], { url: api.url, env: { TESSERA_TOKEN: 's3cret' } });
    expect(withToken.code).toBe(0);
  });
});
