import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process.js';

/**
 * A real SAML 2.0 identity provider for tests: Debian's SimpleSAMLphp 1.19 served by `php -S` on 127.0.0.1,
 * with its own key, users and registered service providers in a temporary directory. Tests sign users in
 * through it with the genuine redirect/POST flow instead of hand-made assertions.
 */

/** Where the Debian package `simplesamlphp` installs the code; `www` is its document root. */
const SIMPLESAMLPHP_DIR = '/usr/share/simplesamlphp';
const DEBIAN_PACKAGES = 'simplesamlphp php-cli php-xml php-mbstring';

const BINDING_HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const BINDING_HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const NAMEID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;
/** The source users log in against (exampleauth:UserPass: a static list of users and their attributes). */
const AUTH_SOURCE = 'test-users';

export interface SimpleSamlUser {
  username: string;
  password: string;
  /** Released as the multi-valued attribute `groups`. */
  groups?: string[];
  email?: string;
  displayName?: string;
}

export interface SimpleSamlServiceProvider {
  entityId: string;
  /** Where the IdP POSTs the SAMLResponse (HTTP-POST binding). */
  assertionConsumerServiceUrl: string;
  /** Where the IdP sends LogoutRequests and LogoutResponses (HTTP-Redirect binding). */
  singleLogoutServiceUrl?: string;
  /** PEM of the SP's signing certificate, to check signatures on its requests. */
  signingCertificatePem?: string;
  /** Reject AuthnRequests that are not signed with `signingCertificatePem` (`validate.authnrequest`). */
  validateAuthnRequest?: boolean;
  /** Sign the whole samlp:Response (`saml20.sign.response`); default true. */
  signResponse?: boolean;
  /** Sign the saml:Assertion (`saml20.sign.assertion`); default true. */
  signAssertion?: boolean;
  /**
   * The NameID the SP receives: `persistent` is the username, `emailAddress` the user's email, `transient` a
   * fresh random id per login. Default `persistent`.
   */
  nameIdFormat?: keyof typeof NAMEID_FORMATS;
  /** Attributes released to this SP; default uid, email, displayName and groups. */
  releasedAttributes?: string[];
}

export interface SimpleSamlIdpOptions {
  users: SimpleSamlUser[];
  serviceProviders: SimpleSamlServiceProvider[];
}

export interface SimpleSamlIdp {
  /** `http://127.0.0.1:PORT/`, with the trailing slash. */
  baseUrl: string;
  entityId: string;
  /** The IdP's SAML 2.0 metadata (XML), for the SP to import. */
  metadataUrl: string;
  /** SingleSignOnService, HTTP-Redirect binding (SimpleSAMLphp also accepts HTTP-POST there). */
  ssoRedirectUrl: string;
  /** SingleLogoutService, HTTP-Redirect binding. */
  sloUrl: string;
  /** The certificate the IdP signs responses, assertions and logout messages with. */
  certificatePem: string;
  /** Starts an unsolicited (IdP-initiated) login for the given SP; the IdP asks for credentials first. */
  idpInitiatedLoginUrl(spEntityId: string, relayState?: string): string;
  /** SimpleSAMLphp's own log and the php server's output, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts SimpleSAMLphp as a SAML 2.0 IdP for the given users and SPs, and waits until it serves its metadata. */
export async function startSimpleSamlIdp(opts: SimpleSamlIdpOptions): Promise<SimpleSamlIdp> {
  assertSimpleSamlPhpInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-simplesamlphp-'));
  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}/`;
    const entityId = `${baseUrl}saml2/idp/metadata.php`;
    const certificatePem = generateSigningKey(dir);
    writeConfiguration(dir, baseUrl, entityId, opts);
    const server = await startPhpServer(dir, port, entityId);
    return {
      baseUrl,
      entityId,
      metadataUrl: entityId,
      ssoRedirectUrl: `${baseUrl}saml2/idp/SSOService.php`,
      sloUrl: `${baseUrl}saml2/idp/SingleLogoutService.php`,
      certificatePem,
      idpInitiatedLoginUrl: (spEntityId, relayState) => {
        const url = new URL(`${baseUrl}saml2/idp/SSOService.php`);
        url.searchParams.set('spentityid', spEntityId);
        if (relayState !== undefined) url.searchParams.set('RelayState', relayState);
        return url.href;
      },
      log: () => `${readLogFile(dir)}\n${server.output()}`,
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Fails with what to install when php, the PHP extensions SimpleSAMLphp signs and parses with, or it is missing. */
function assertSimpleSamlPhpInstalled(): void {
  const problems: string[] = [];
  if (!existsSync(join(SIMPLESAMLPHP_DIR, 'www', 'saml2', 'idp', 'SSOService.php'))) problems.push(`no SimpleSAMLphp in ${SIMPLESAMLPHP_DIR}`);
  try {
    const missingExtensions = execFileSync(
      'php',
      ['-r', 'echo implode(" ", array_filter(["dom", "SimpleXML", "mbstring", "openssl"], fn ($e) => !extension_loaded($e)));'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (missingExtensions) problems.push(`php lacks the extensions ${missingExtensions}`);
  } catch {
    problems.push('no php command');
  }
  if (problems.length > 0) {
    throw new Error(
      `The SAML identity tests run SimpleSAMLphp, but there is ${problems.join(' and ')}: install the Debian packages ` +
        `${DEBIAN_PACKAGES} (run scripts/install-test-deps as root).`,
    );
  }
}

/** A fresh self-signed RSA key and certificate for the IdP (idp.key, idp.crt); returns the certificate PEM. */
function generateSigningKey(dir: string): string {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=Tessera test IdP', '-keyout', join(dir, 'idp.key'), '-out', join(dir, 'idp.crt')],
    { stdio: 'pipe' },
  );
  return readFileSync(join(dir, 'idp.crt'), 'utf8');
}

/**
 * The whole configuration, and everything SimpleSAMLphp writes, lives in `dir` (php -S points it there with
 * SIMPLESAMLPHP_CONFIG_DIR, which 1.19 honours before the package's /etc/simplesamlphp). Its directories are
 * absolute because SimpleSAMLphp resolves relative ones against /usr/share/simplesamlphp.
 */
function writeConfiguration(dir: string, baseUrl: string, entityId: string, opts: SimpleSamlIdpOptions): void {
  for (const sub of ['metadata', 'sessions', 'log', 'data', 'tmp']) mkdirSync(join(dir, sub));
  writePhpArray(join(dir, 'config.php'), 'config', {
    baseurlpath: baseUrl,
    certdir: dir,
    metadatadir: join(dir, 'metadata'),
    loggingdir: join(dir, 'log'),
    datadir: join(dir, 'data'),
    tempdir: join(dir, 'tmp'),
    secretsalt: randomToken(),
    'auth.adminpassword': randomToken(),
    technicalcontact_name: 'Tessera tests',
    technicalcontact_email: 'tests@tessera.test',
    timezone: 'UTC',
    // Nothing may leave 127.0.0.1.
    'admin.checkforupdates': false,
    // Error pages carry the reason, so a failing flow says why.
    showerrors: true,
    errorreporting: false,
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'logging.level': 7, // SimpleSAML\Logger::DEBUG
    'enable.saml20-idp': true,
    'module.enable': { core: true, saml: true, exampleauth: true },
    'store.type': 'phpsession',
    'session.phpsession.savepath': join(dir, 'sessions'),
    // Plain http, unlike the packaged config.php: a Secure session cookie would never come back, and
    // SameSite=None is only valid on Secure cookies.
    'session.cookie.secure': false,
    'session.cookie.samesite': null,
  });
  writePhpArray(join(dir, 'authsources.php'), 'config', {
    // exampleauth:UserPass takes users as `username:password` => attributes, after the source's class at index 0.
    [AUTH_SOURCE]: Object.fromEntries([['0', 'exampleauth:UserPass'], ...opts.users.map((u) => [userPassKey(u), userAttributes(u)])]),
  });
  writePhpArray(join(dir, 'metadata', 'saml20-idp-hosted.php'), 'metadata', {
    [entityId]: {
      host: '__DEFAULT__',
      // In certdir.
      privatekey: 'idp.key',
      certificate: 'idp.crt',
      auth: AUTH_SOURCE,
      'sign.logout': true,
      'attributes.NameFormat': 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
      // Each SP's `attributes` list is what it gets; without this filter SimpleSAMLphp releases everything.
      authproc: { 50: { class: 'core:AttributeLimit' } },
    },
  });
  writePhpArray(join(dir, 'metadata', 'saml20-sp-remote.php'), 'metadata', Object.fromEntries(opts.serviceProviders.map((sp) => [sp.entityId, spRemoteMetadata(sp)])));
}

function userPassKey(user: SimpleSamlUser): string {
  // The first colon ends the username.
  if (user.username.includes(':')) throw new Error(`SimpleSAMLphp test usernames cannot contain ':': ${user.username}`);
  return `${user.username}:${user.password}`;
}

function userAttributes(user: SimpleSamlUser): Record<string, string[]> {
  const attributes: Record<string, string[]> = { uid: [user.username] };
  if (user.groups !== undefined) attributes.groups = user.groups;
  if (user.email !== undefined) attributes.email = [user.email];
  if (user.displayName !== undefined) attributes.displayName = [user.displayName];
  return attributes;
}

function spRemoteMetadata(sp: SimpleSamlServiceProvider): Record<string, unknown> {
  const nameIdFormat = sp.nameIdFormat ?? 'persistent';
  const metadata: Record<string, unknown> = {
    AssertionConsumerService: [{ Binding: BINDING_HTTP_POST, Location: sp.assertionConsumerServiceUrl }],
    'saml20.sign.response': sp.signResponse ?? true,
    'saml20.sign.assertion': sp.signAssertion ?? true,
    NameIDFormat: NAMEID_FORMATS[nameIdFormat],
    attributes: sp.releasedAttributes ?? ['uid', 'email', 'displayName', 'groups'],
  };
  // The NameID is set from an attribute before AttributeLimit (priority 50) runs, so it does not depend on
  // which attributes the SP is released.
  if (nameIdFormat !== 'transient') {
    metadata.authproc = {
      10: { class: 'saml:AttributeNameID', Format: NAMEID_FORMATS[nameIdFormat], attribute: nameIdFormat === 'persistent' ? 'uid' : 'email' },
    };
  }
  if (sp.singleLogoutServiceUrl !== undefined) {
    metadata.SingleLogoutService = [{ Binding: BINDING_HTTP_REDIRECT, Location: sp.singleLogoutServiceUrl }];
  }
  if (sp.signingCertificatePem !== undefined) metadata.certData = pemBody(sp.signingCertificatePem);
  if (sp.validateAuthnRequest !== undefined) metadata['validate.authnrequest'] = sp.validateAuthnRequest;
  return metadata;
}

/**
 * Writes `<?php $name = [...];` by embedding the value as JSON in a nowdoc, which PHP reads literally: no PHP
 * string escaping to get wrong, and the file stays readable when debugging.
 */
function writePhpArray(file: string, name: string, value: unknown): void {
  const json = JSON.stringify(value, null, 2);
  writeFileSync(file, `<?php\n$${name} = json_decode(<<<'JSON'\n${json}\nJSON, true, 512, JSON_THROW_ON_ERROR);\n`);
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

function readLogFile(dir: string): string {
  const file = join(dir, 'log', 'simplesamlphp.log');
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-8000) : '(no SimpleSAMLphp log)';
}

interface PhpServer {
  output(): string;
  stop(): Promise<void>;
}

/** Runs php's built-in web server on SimpleSAMLphp's document root and waits until `readyUrl` answers 200. */
async function startPhpServer(configDir: string, port: number, readyUrl: string): Promise<PhpServer> {
  const child = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', join(SIMPLESAMLPHP_DIR, 'www')], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: configDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };

  const deadline = Date.now() + 30_000;
  let lastProblem = 'no answer';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`php -S for SimpleSAMLphp exited with ${child.exitCode}: ${tail}`);
    try {
      const response = await fetch(readyUrl);
      if (response.ok) return { output: () => tail, stop };
      lastProblem = `HTTP ${response.status}: ${(await response.text()).slice(0, 2000)}`;
    } catch (e) {
      lastProblem = (e as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`SimpleSAMLphp did not serve ${readyUrl} within 30 s (${lastProblem}); php output: ${tail}; log: ${readLogFile(configDir)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
