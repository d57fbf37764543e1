import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ITwelveFactorService } from './service-interface';
import { warningAcknowledged } from '../private/warnings';

const ROOT_USER = 'cdk-microservices:rootUser';

/** The services of an environment that run as root or as their image's user, in creation order. */
const ROOT_USERS = new WeakMap<IConstruct, Array<{ service: IConstruct; user?: string }>>();

/**
 * Records a service whose container runs as root (`user` root or uid 0) or as its image's
 * user (no `user`). The environment says it once for all of them at synthesis, listing each
 * with its `user`, instead of once per service. A service (or a scope above it) where the
 * warning is acknowledged is left out of the list; acknowledged on the environment (or
 * above), nothing is said.
 */
export function reportRootUser(service: ITwelveFactorService, user: string | undefined): void {
  const env = service.environment;
  let entries = ROOT_USERS.get(env);
  if (!entries) {
    const list: Array<{ service: IConstruct; user?: string }> = [];
    ROOT_USERS.set(env, entries = list);
    env.node.addValidation({ validate: () => { warnRootUsers(env, list); return []; } });
  }
  entries.push({ service, user });
}

function inTree(c: IConstruct): boolean {
  return c.node.scope === undefined || c.node.scope.node.tryFindChild(c.node.id) === c;
}

function warnRootUsers(env: IConstruct, entries: Array<{ service: IConstruct; user?: string }>): void {
  if (warningAcknowledged(env, ROOT_USER)) return;
  const listed = entries.filter((e) => inTree(e.service) && !warningAcknowledged(e.service, ROOT_USER));
  if (listed.length === 0) return;
  const advice = 'to a non-root user such as \'1000:1000\' (AWS Control Tower CT.ECS.PR.3, AWS Config ecs-task-definition-nonroot-user).';
  const imageUser = listed.filter((e) => e.user === undefined).map((e) => e.service.node.path);
  const root = listed.filter((e) => e.user !== undefined).map((e) => `${e.service.node.path} (\`user\` '${e.user}')`);
  const one = listed.length === 1;
  const who = one ? `The container of ${listed[0].service.node.path}` : `The containers of ${(imageUser.length > 0 ? imageUser : root).join(', ')}`;
  let what: string;
  if (imageUser.length > 0 && root.length > 0) {
    what = `run as their image's user, which may be root, and those of ${root.join(', ')} as root`;
  } else if (imageUser.length > 0) {
    what = one ? 'runs as the image\'s user, which may be root' : 'run as their image\'s user, which may be root';
  } else {
    what = one ? `runs as root (\`user\` '${listed[0].user}')` : 'run as root';
  }
  const message = `${who} ${what}: set ${one ? 'its `user`' : 'the `user` of each'} ${advice}`;
  Annotations.of(env).addWarningV2(ROOT_USER, message);
}
