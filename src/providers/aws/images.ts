import type { Image } from '../../core/offer.js';
import { ProviderError } from '../driver.js';
import { AMI_ID, type AwsImageConfig } from './config.js';

/**
 * The images an aws provider offers: names from its configuration, each mapped to an AMI per region. A request
 * may also name an AMI id directly, which is used as it is (EC2 says whether it exists).
 */
export class ImageCatalog {
  constructor(
    private readonly provider: string,
    private readonly images: AwsImageConfig[],
  ) {}

  list(): Image[] {
    return this.images.map((i) => ({ provider: this.provider, name: i.name, os: i.os, arch: i.arch }));
  }

  /** The AMI for a requested image in a region; an Invalid ProviderError, naming the choices, when there is none. */
  amiFor(image: string, region: string): string {
    if (AMI_ID.test(image)) return image;
    const configured = this.images.find((i) => i.name === image);
    const invalid = (message: string) => new ProviderError('Invalid', message, this.provider, 'InvalidAMIID.NotFound');
    if (!configured) {
      const names = this.images.map((i) => i.name);
      throw invalid(
        `image '${image}' is not configured for aws provider '${this.provider}': ` +
          `${names.length > 0 ? `use one of ${names.join(', ')}, ` : ''}name an AMI id (ami-…), or add it under images with its AMI per region`,
      );
    }
    const ami = configured.amis[region];
    if (!ami) {
      throw invalid(
        `image '${image}' has no AMI in ${region} for aws provider '${this.provider}' (it has ${Object.keys(configured.amis).join(', ')}): ` +
          `add ${region}: ami-… under its amis, or create the instance in one of those regions`,
      );
    }
    return ami;
  }

  /** What to report as an instance's image when it carries no image tag: the configured name of its AMI, else the AMI id. */
  nameOf(ami: string, region: string): string {
    return this.images.find((i) => i.amis[region] === ami)?.name ?? ami;
  }
}
