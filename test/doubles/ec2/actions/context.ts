import type { Ec2Account, RegionState } from '../account.js';
import type { QueryParams } from '../query-params.js';
import type { XmlContent } from '../xml.js';

/** What an action handler gets: the account, the region the request was signed for, and its parameters. */
export interface ActionContext {
  account: Ec2Account;
  region: RegionState;
  params: QueryParams;
  now: number;
}

/** The members of the `<ActionResponse>` after its requestId. */
export type ActionHandler = (ctx: ActionContext) => XmlContent[];
