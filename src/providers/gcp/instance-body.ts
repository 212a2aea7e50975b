import type { protos } from '@google-cloud/compute';
import { ProviderError, type CreateRequest } from '../driver.js';
import type { GcpConfig, GcpRegionConfig } from './config.js';
import { encodeLabels } from './labels.js';

/**
 * The Instance resource an `instances.insert` sends for a Tessera request: machine type, boot disk from the image,
 * one network interface (with an ephemeral public address unless `externalIp: false`), labels carrying Tessera's
 * id and token, metadata carrying the image name as asked and the user data, and for the spot market GCE's Spot
 * provisioning model.
 */

/** Metadata key recording the image name as the request gave it (GCE reports only the boot disk, not its image). */
export const IMAGE_METADATA_KEY = 'tessera-image';
/** GCE's limit on one metadata value. */
const METADATA_VALUE_MAX = 256 * 1024;

export interface BodyContext {
  provider: string;
  config: GcpConfig;
  region: GcpRegionConfig | undefined;
  zone: string;
  name: string;
  imageSource: string;
}

export function instanceBody(ctx: BodyContext, req: CreateRequest, token: string): protos.google.cloud.compute.v1.IInstance {
  const { labels, metadata } = encodeLabels(ctx.provider, req, token);
  const items = [...metadata, { key: IMAGE_METADATA_KEY, value: req.image }];
  if (req.userData !== null) items.push({ key: userDataKey(ctx.config.userDataKey, req.userData), value: checkedUserData(ctx.provider, req.userData) });
  return {
    name: ctx.name,
    description: `Tessera instance ${req.tesseraId} (${req.name})`,
    machineType: `zones/${ctx.zone}/machineTypes/${req.flavor}`,
    disks: [
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        initializeParams: {
          sourceImage: ctx.imageSource,
          diskSizeGb: String(ctx.config.bootDisk.sizeGb),
          diskType: `zones/${ctx.zone}/diskTypes/${ctx.config.bootDisk.type}`,
        },
      },
    ],
    networkInterfaces: [
      {
        network: ctx.config.network,
        ...(ctx.region?.subnetwork !== undefined && { subnetwork: ctx.region.subnetwork }),
        accessConfigs: ctx.config.externalIp ? [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] : [],
      },
    ],
    labels,
    metadata: { items },
    ...(req.market === 'spot' && {
      scheduling: {
        provisioningModel: 'SPOT',
        instanceTerminationAction: ctx.config.spotTerminationAction,
        // Spot VMs cannot live-migrate or restart by themselves; GCE refuses them otherwise.
        automaticRestart: false,
        onHostMaintenance: 'TERMINATE',
      },
    }),
  };
}

/** cloud-init reads `user-data`; GCE's guest agent runs `startup-script` (on every boot). */
function userDataKey(mode: GcpConfig['userDataKey'], userData: string): 'user-data' | 'startup-script' {
  if (mode !== 'auto') return mode;
  return /^(#cloud-config|#include|Content-Type: multipart\/)/i.test(userData.trimStart()) ? 'user-data' : 'startup-script';
}

function checkedUserData(provider: string, userData: string): string {
  const size = Buffer.byteLength(userData);
  if (size > METADATA_VALUE_MAX) {
    throw new ProviderError(
      'Invalid',
      `gcp provider '${provider}': user data is ${size} bytes; a GCE metadata value holds at most ${METADATA_VALUE_MAX}: fetch the bulk from a URL in a shorter script`,
      provider,
      'UserDataTooLarge',
    );
  }
  return userData;
}
