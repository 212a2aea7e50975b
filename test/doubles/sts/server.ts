import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assumeRole, isAssumeRole, renderAssumeRoleResponse, type AssumeRoleResult } from './assume-role.js';
import { assumeRoleWithSaml, type AssumeRoleWithSamlResult, type IamDirectory } from './assume-role-with-saml.js';
import { FaultQueue, type StsFault } from './faults.js';
import { loadIamRole, type RoleConfig } from './iam-role.js';
import { renderAssumeRoleWithSamlResponse, renderErrorResponse, STS_API_VERSION } from './query-protocol.js';
import { loadSamlProvider, type SamlProviderConfig } from './saml-provider.js';
import { StsError } from './sts-error.js';

export type { StsFault } from './faults.js';
export type { RoleConfig } from './iam-role.js';
export type { SamlProviderConfig } from './saml-provider.js';

export interface StsDoubleOptions {
  /** The account's IAM SAML providers (the IdP's metadata or signing certificate, as IAM would hold it). */
  providers: SamlProviderConfig[];
  /** The roles that can be assumed, each trusting one provider. */
  roles: RoleConfig[];
  /** The double's clock, for assertion validity and credential expiry. Defaults to the real clock. */
  now?: () => Date;
  /** Tolerated IdP clock difference on NotBefore/NotOnOrAfter. Defaults to 300 seconds. */
  clockSkewSeconds?: number;
}

/** One request as the double received and answered it. */
export interface RecordedStsCall {
  requestId: string;
  receivedAt: Date;
  /** Lower-cased. An unsigned call has no `authorization`; `amz-sdk-request` ("attempt=2; max=3") shows SDK retries. */
  headers: IncomingHttpHeaders;
  action: string | null;
  /** Every Query parameter as received, the base64 SAMLAssertion included. */
  params: Record<string, string>;
  httpStatus: number;
  /** How the request failed: AWS's code and message, plus the double's precise reason. Absent on success. */
  error?: { code: string; message: string; reason: string };
  /** What was issued. Absent on failure. */
  result?: AssumeRoleWithSamlResult | AssumeRoleResult;
}

export interface StsDouble {
  /** `http://127.0.0.1:PORT` — pass it as the STSClient `endpoint`. */
  url: string;
  /** Every request so far, in arrival order (a live array). */
  calls: RecordedStsCall[];
  /** Makes the next requests fail as configured, replacing faults still pending. */
  setFault(fault: StsFault): void;
  stop(): Promise<void>;
}

/**
 * Starts a wire-level double of AWS STS AssumeRoleWithSAML on 127.0.0.1 (a free port). It speaks the AWS Query
 * protocol that @aws-sdk/client-sts uses, so the SDK works against it unchanged. The call is unsigned, as on AWS:
 * the caller is authenticated by the SAML assertion alone.
 */
export async function startStsDouble(options: StsDoubleOptions): Promise<StsDouble> {
  const iam = iamDirectory(options);
  const now = options.now ?? (() => new Date());
  const clockSkewMs = (options.clockSkewSeconds ?? 300) * 1000;
  const faults = new FaultQueue();
  const calls: RecordedStsCall[] = [];

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = await readQueryParameters(req);
    const call: RecordedStsCall = {
      requestId: randomUUID(),
      receivedAt: now(),
      headers: req.headers,
      action: params.get('Action'),
      params: Object.fromEntries(params),
      httpStatus: 200,
    };
    let body: string;
    try {
      const fault = faults.next();
      if (fault) throw fault;
      // sts:AssumeRole (SigV4-signed; assume-role.ts), which the aws driver uses to take on a configured role.
      if (isAssumeRole(params)) {
        const issued = assumeRole(params, req.headers, iam, call.receivedAt);
        call.result = issued;
        body = renderAssumeRoleResponse(issued, call.requestId);
      } else {
        requireAssumeRoleWithSaml(params);
        const issued = assumeRoleWithSaml(params, iam, { now: call.receivedAt, clockSkewMs });
        call.result = issued;
        body = renderAssumeRoleWithSamlResponse(issued, call.requestId);
      }
    } catch (e) {
      // Anything but an StsError is a bug in the double: answer as AWS would, keep the stack for the test.
      const error = e instanceof StsError ? e : new StsError('InternalFailure', 500, 'The request processing has failed because of an unknown error, exception or failure.', `bug in the STS double: ${(e as Error).stack}`);
      call.httpStatus = error.httpStatus;
      call.error = { code: error.code, message: error.message, reason: error.reason };
      body = renderErrorResponse(error, call.requestId);
    }
    calls.push(call);
    res.writeHead(call.httpStatus, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': call.requestId,
      date: new Date().toUTCString(),
    });
    res.end(body);
  }

  // A request body that cannot be read (the client went away) leaves nobody to answer.
  const server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setFault: (fault) => faults.set(fault),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // The SDK keeps connections alive; without this, close() would wait for them to idle out.
        server.closeAllConnections();
      }),
  };
}

function iamDirectory(options: StsDoubleOptions): IamDirectory {
  const providers = new Map(options.providers.map((config) => [config.arn, loadSamlProvider(config)]));
  const roles = new Map(options.roles.map((config) => [config.arn, loadIamRole(config)]));
  if (providers.size !== options.providers.length || roles.size !== options.roles.length) throw new Error('duplicate provider or role ARN in the STS double options');
  return { providers, roles };
}

/** Query parameters come form-encoded in a POST body, which is how the SDKs send them. */
async function readQueryParameters(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const isForm = req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return new URLSearchParams(isForm ? Buffer.concat(chunks).toString('utf8') : '');
}

function requireAssumeRoleWithSaml(params: URLSearchParams): void {
  const action = params.get('Action');
  if (!action) throw new StsError('MissingAction', 400, 'The request is missing an action or a required parameter.');
  const version = params.get('Version');
  if (action !== 'AssumeRoleWithSAML' || version !== STS_API_VERSION) {
    throw new StsError('InvalidAction', 400, `Could not find operation ${action} for version ${version}`, 'this double implements only AssumeRoleWithSAML, version 2011-06-15');
  }
}
