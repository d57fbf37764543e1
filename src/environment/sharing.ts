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

/** The environments shared from each app, by the SSM parameter they publish: one name, one owner. */
const publishedNames = new WeakMap<IConstruct, Map<string, string>>();

/**
 * The path of the environment of this app that already publishes `parameterName` in the
 * account and Region `where` (two would collide in SSM at deploy), if any. @internal
 */
export function publisherOf(scope: IConstruct, where: string, parameterName: string): string | undefined {
  return publishedNames.get(scope.node.root)?.get(`${where} ${parameterName}`);
}

/** Records that `environment` publishes `parameterName` in `where`. @internal */
export function recordPublisher(environment: IConstruct, where: string, parameterName: string): void {
  const root = environment.node.root;
  const names = publishedNames.get(root) ?? new Map<string, string>();
  names.set(`${where} ${parameterName}`, environment.node.path);
  publishedNames.set(root, names);
}
