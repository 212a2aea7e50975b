import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsConfig } from './config.js';
import type { CredentialSource } from './credentials.js';

/**
 * One EC2 client per region (an SDK client is bound to its region: the region goes into the endpoint and the
 * SigV4 scope), made when first needed, all sharing one credential source. The SDK's standard retry strategy
 * handles throttling, 5xx and dropped connections with backoff and jitter, up to `maxAttempts`.
 */
export class RegionClients {
  private readonly clients = new Map<string, EC2Client>();

  constructor(
    private readonly config: AwsConfig,
    private readonly credentials: CredentialSource,
  ) {}

  get(region: string): EC2Client {
    let client = this.clients.get(region);
    if (!client) {
      client = new EC2Client({
        region,
        credentials: this.credentials.provider,
        maxAttempts: this.config.maxAttempts,
        retryMode: 'standard',
        requestHandler: { requestTimeout: this.config.requestTimeoutSeconds * 1000, connectionTimeout: Math.min(10_000, this.config.requestTimeoutSeconds * 1000) },
        ...(this.config.endpoint !== undefined && { endpoint: this.config.endpoint }),
      });
      this.clients.set(region, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
