import { GoogleAuth } from 'google-auth-library';
import { InvalidInputError } from '../../core/errors.js';
import type { GcpConfig } from './config.js';

/**
 * How the driver signs in to Google. A service-account JSON key stored with `tessera provider credentials NAME
 * --from-file key.json` (fields `client_email`, `private_key`, `project_id`) is used through google-auth-library:
 * it signs a JWT with the key and trades it at Google's OAuth token endpoint for a one-hour access token (the
 * JWT-bearer grant), renewed before it expires. Without stored credentials, Application Default Credentials are
 * used (GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials, or the metadata server on GCE/GKE).
 */

/** Read and write Compute Engine resources, nothing else (cloud-platform would be every API). */
export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
/** Where google-auth-library sends a service account's JWT; `tokenUrl` redirects it. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface GcpAuth {
  auth: GoogleAuth;
  /** The project from the key file, if it names one. */
  keyProject: string | null;
  /** What signs the calls, for messages (never the key itself). */
  principal: string;
}

export async function gcpAuth(provider: string, config: GcpConfig, credentials: Record<string, string> | null): Promise<GcpAuth> {
  const result = credentials ? fromServiceAccountKey(provider, config, credentials) : fromEnvironment(config);
  if (config.tokenUrl !== undefined) await redirectTokenRequests(provider, result.auth, config.tokenUrl);
  return result;
}

function fromServiceAccountKey(provider: string, config: GcpConfig, credentials: Record<string, string>): GcpAuth {
  const invalid = (what: string) =>
    new InvalidInputError(
      `gcp provider '${provider}': the stored credentials ${what}; store a service-account JSON key as downloaded from the Cloud console ` +
        '(IAM & Admin › Service accounts › Keys), e.g. `tessera provider credentials NAME --from-file key.json`',
      { provider },
    );
  if (credentials.type !== undefined && credentials.type !== 'service_account') {
    throw invalid(`are of type '${credentials.type}', not a service-account key ('service_account')`);
  }
  const missing = ['client_email', 'private_key'].filter((k) => !credentials[k]);
  if (missing.length > 0) throw invalid(`lack ${missing.join(' and ')} (they hold: ${Object.keys(credentials).sort().join(', ') || 'nothing'})`);
  // A key pasted through YAML or an environment variable often arrives with its newlines escaped.
  const privateKey = credentials.private_key!.replace(/\\n/g, '\n');
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(privateKey)) throw invalid('have a private_key that is not a PEM private key (-----BEGIN PRIVATE KEY-----)');
  const keyProject = credentials.project_id || null;
  const auth = new GoogleAuth({
    credentials: { client_email: credentials.client_email, private_key: privateKey },
    scopes: [COMPUTE_SCOPE],
    ...((config.project ?? keyProject) && { projectId: config.project ?? keyProject! }),
  });
  return { auth, keyProject, principal: `service account ${credentials.client_email}` };
}

function fromEnvironment(config: GcpConfig): GcpAuth {
  const auth = new GoogleAuth({ scopes: [COMPUTE_SCOPE], ...(config.project && { projectId: config.project }) });
  return { auth, keyProject: null, principal: 'Application Default Credentials' };
}

/**
 * google-auth-library always sends a service account's JWT to oauth2.googleapis.com; a request interceptor on the
 * auth client's transport sends it to `tokenUrl` instead (a Private Service Connect endpoint, or a test's token
 * endpoint). The JWT's audience stays Google's token URL, which is what Google's endpoints check.
 */
async function redirectTokenRequests(provider: string, auth: GoogleAuth, tokenUrl: string): Promise<void> {
  let client: Awaited<ReturnType<GoogleAuth['getClient']>>;
  try {
    client = await auth.getClient();
  } catch (e) {
    throw new InvalidInputError(`gcp provider '${provider}': no credentials to use with tokenUrl (${(e as Error).message})`, { provider });
  }
  const target = new URL(tokenUrl);
  client.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (String(options.url) === GOOGLE_TOKEN_URL) options.url = target;
      return options;
    },
  });
}

/** The project to work in: the configured one, the key file's, or the environment's (ADC). */
export async function resolveProject(provider: string, config: GcpConfig, auth: GcpAuth): Promise<string> {
  if (config.project) return config.project;
  if (auth.keyProject) return auth.keyProject;
  try {
    const project = await auth.auth.getProjectId();
    if (project) return project;
  } catch {
    // reported below
  }
  throw new InvalidInputError(
    `gcp provider '${provider}' does not know which project to use: set project in its configuration (the key file's project_id or GOOGLE_CLOUD_PROJECT also serve)`,
    { provider },
  );
}
