import { IConstruct } from 'constructs';

/** What services of an environment shared with other apps (`enableTeamApps`) need to claim their routes and names. */
export interface Sharing {
  /** The environment's name, the level of its SSM parameters. */
  readonly environmentName: string;
  /** The ARN of the claims function (listener priorities and service names across apps). */
  readonly claimServiceToken: string;
  /** Whether the environment was imported from another app (`fromLookup`). */
  readonly imported: boolean;
}

const sharings = new WeakMap<IConstruct, Sharing>();

/** Records that `environment` is shared across apps. @internal */
export function setSharing(environment: IConstruct, sharing: Sharing): void {
  sharings.set(environment, sharing);
}

/** How `environment` is shared across apps, or undefined when it serves one app only. @internal */
export function sharingOf(environment: IConstruct): Sharing | undefined {
  return sharings.get(environment);
}
