import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The Entra ID (Azure AD) side of the double: the OAuth 2.0 client-credentials grant of the Microsoft identity
 * platform v2.0 endpoint (`POST /{tenant}/oauth2/v2.0/token`) and the OpenID Connect discovery document MSAL
 * reads before it (`GET /{tenant}/v2.0/.well-known/openid-configuration`). Errors use the platform's JSON shape
 * (`error`, `error_description` starting with an AADSTS code, `error_codes`). Access tokens are opaque strings
 * the ARM side looks up: the double is the only one reading them.
 */

export interface ServicePrincipal {
  clientId: string;
  clientSecret: string;
  /**
   * The ARM actions its role assignments grant (`Microsoft.Compute/virtualMachines/write`; `*` wildcards as in
   * role definitions). Omitted: everything (an Owner).
   */
  actions?: string[];
}

/** What one issued token stands for. */
export interface IssuedToken {
  tenantId: string;
  clientId: string;
  /** The resource the token is for, from the requested scope (`https://management.azure.com`). */
  audience: string;
  expiresAt: number;
}

export interface TokenAnswer {
  status: number;
  body: unknown;
}

export class EntraDirectory {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly principals: Map<string, ServicePrincipal>;

  constructor(
    readonly tenantId: string,
    principals: ServicePrincipal[],
    private readonly tokenLifetimeSeconds: number,
  ) {
    this.principals = new Map(principals.map((p) => [p.clientId.toLowerCase(), p]));
  }

  principal(clientId: string): ServicePrincipal | undefined {
    return this.principals.get(clientId.toLowerCase());
  }

  /** The OpenID Connect metadata of a tenant, with endpoints under the double's own URL. */
  openIdConfiguration(baseUrl: string, tenant: string): TokenAnswer {
    if (!this.knowsTenant(tenant)) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    const root = `${baseUrl}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${root}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${root}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${root}/v2.0`,
        authorization_endpoint: `${root}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${root}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${root}/oauth2/v2.0/logout`,
        tenant_region_scope: 'WW',
      },
    };
  }

  /** The client-credentials grant: a form-encoded POST with client_id, client_secret, scope and grant_type. */
  token(tenant: string, form: URLSearchParams): TokenAnswer {
    if (!this.knowsTenant(tenant)) return aadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials') return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`);
    const clientId = form.get('client_id') ?? '';
    const principal = this.principal(clientId);
    if (!principal) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'.`);
    }
    if (form.get('client_secret') !== principal.clientSecret) {
      return aadError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) return aadError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    const accessToken = `arm-double.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, {
      tenantId: this.tenantId,
      clientId: principal.clientId,
      audience: scope.slice(0, -'/.default'.length),
      expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000,
    });
    return { status: 200, body: { token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, ext_expires_in: this.tokenLifetimeSeconds, access_token: accessToken } };
  }

  /** The token behind a bearer value, if the double issued it (expired or not). */
  lookup(accessToken: string): IssuedToken | undefined {
    return this.tokens.get(accessToken);
  }

  /** How many tokens were issued (each a sign-in at the token endpoint). */
  get issued(): number {
    return this.tokens.size;
  }

  private knowsTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.tenantId.toLowerCase();
  }
}

function aadError(status: number, error: string, code: number, description: string): TokenAnswer {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}
