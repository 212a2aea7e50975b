/**
 * Where public cloud regions are, as ISO 3166 country codes: the `residency` placement label, so a deployment can
 * ask for `residency: kr` without anyone labelling Seoul by hand. Sources: each cloud's public region list. A
 * region missing here simply has no residency label (give it one with the provider's `placement.regions` setting).
 */
const RESIDENCY: Record<string, Record<string, string>> = {
  aws: {
    'us-east-1': 'us', 'us-east-2': 'us', 'us-west-1': 'us', 'us-west-2': 'us', 'ca-central-1': 'ca',
    'sa-east-1': 'br', 'eu-west-1': 'ie', 'eu-west-2': 'gb', 'eu-west-3': 'fr', 'eu-central-1': 'de',
    'eu-central-2': 'ch', 'eu-north-1': 'se', 'eu-south-1': 'it', 'eu-south-2': 'es', 'ap-northeast-1': 'jp',
    'ap-northeast-2': 'kr', 'ap-northeast-3': 'jp', 'ap-southeast-1': 'sg', 'ap-southeast-2': 'au',
    'ap-southeast-3': 'id', 'ap-south-1': 'in', 'ap-east-1': 'hk', 'me-central-1': 'ae', 'af-south-1': 'za',
  },
  azure: {
    eastus: 'us', eastus2: 'us', westus: 'us', westus2: 'us', westus3: 'us', centralus: 'us', southcentralus: 'us',
    canadacentral: 'ca', brazilsouth: 'br', westeurope: 'nl', northeurope: 'ie', uksouth: 'gb', ukwest: 'gb',
    francecentral: 'fr', germanywestcentral: 'de', swedencentral: 'se', switzerlandnorth: 'ch', koreacentral: 'kr',
    koreasouth: 'kr', japaneast: 'jp', japanwest: 'jp', southeastasia: 'sg', eastasia: 'hk', australiaeast: 'au',
    centralindia: 'in', uaenorth: 'ae', southafricanorth: 'za',
  },
  gcp: {
    'us-central1': 'us', 'us-east1': 'us', 'us-east4': 'us', 'us-west1': 'us', 'us-west2': 'us',
    'northamerica-northeast1': 'ca', 'southamerica-east1': 'br', 'europe-west1': 'be', 'europe-west2': 'gb',
    'europe-west3': 'de', 'europe-west4': 'nl', 'europe-west6': 'ch', 'europe-west9': 'fr', 'europe-north1': 'fi',
    'asia-northeast1': 'jp', 'asia-northeast2': 'jp', 'asia-northeast3': 'kr', 'asia-southeast1': 'sg',
    'asia-east1': 'tw', 'asia-east2': 'hk', 'asia-south1': 'in', 'australia-southeast1': 'au',
  },
};

/** The country a public cloud's region is in (`aws`, `ap-northeast-2` → `kr`), or null when not known. */
export function residencyOf(cloud: string, region: string): string | null {
  return RESIDENCY[cloud]?.[region] ?? null;
}
