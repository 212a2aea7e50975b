import { rootCertificates } from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { parseClientSecret, readCaCertificate, type AzureConfig } from './config.js';

/**
 * The SDK clients of one provider, built from its configuration: Entra ID sign-in and the ARM compute and
 * network clients, all sharing one TLS trust (the system's CAs plus the configured one), one retry policy and
 * one token scope.
 */
export interface ArmClients {
  credential: TokenCredential;
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
}

export function buildArmClients(providerName: string, config: AzureConfig, stored: Record<string, string> | null): ArmClients {
  // The pipeline's TLS option replaces Node's trust store rather than adding to it, so the system's roots go in
  // too: an extra CA for ARM must not cost the trust in login.microsoftonline.com.
  const tlsOptions = config.caCertificate ? { ca: [...rootCertificates, readCaCertificate(providerName, config.caCertificate)] } : undefined;
  const retryOptions = { maxRetries: config.maxRetries, retryDelayInMs: config.retryDelayMs };
  const userAgentOptions = { userAgentPrefix: 'tessera' };
  const credential = buildCredential(providerName, config, stored, { authorityHost: config.authorityHost, tlsOptions, retryOptions, userAgentOptions });
  const endpoint = config.endpoint.replace(/\/+$/, '');
  const scope = config.tokenScope ?? `${new URL(endpoint).origin}/.default`;
  const compute = new ComputeManagementClient(credential, config.subscriptionId, {
    endpoint,
    credentials: { scopes: [scope] },
    tlsOptions,
    retryOptions,
    userAgentOptions,
  });
  const network = new NetworkManagementClient(credential, config.subscriptionId, {
    $host: endpoint,
    endpoint,
    credentialScopes: [scope],
    tlsOptions,
    retryOptions,
    userAgentOptions,
  });
  return { credential, compute, network };
}

interface CredentialPipelineOptions {
  authorityHost: string;
  tlsOptions: { ca: string[] } | undefined;
  retryOptions: { maxRetries: number; retryDelayInMs: number };
  userAgentOptions: { userAgentPrefix: string };
}

function buildCredential(providerName: string, config: AzureConfig, stored: Record<string, string> | null, options: CredentialPipelineOptions): TokenCredential {
  switch (config.credential) {
    case 'client-secret': {
      const secret = parseClientSecret(providerName, stored);
      // Instance discovery asks login.microsoftonline.com which authorities exist; an AD FS, an Azure Stack
      // Hub or a private endpoint is not in that list, and the configured authorityHost is trusted as it is.
      const disableInstanceDiscovery = new URL(config.authorityHost).hostname !== 'login.microsoftonline.com';
      return new ClientSecretCredential(secret.tenantId, secret.clientId, secret.clientSecret, { ...options, disableInstanceDiscovery });
    }
    case 'managed-identity':
      return config.managedIdentityClientId
        ? new ManagedIdentityCredential({ ...options, clientId: config.managedIdentityClientId })
        : new ManagedIdentityCredential(options);
    case 'default':
      return new DefaultAzureCredential(options);
  }
}
