import {
  Duration,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_route53 as route53,
  aws_route53_targets as route53targets,
  Token,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { TwelveFactorServiceProps } from './twelve-factor-service-props';
import { claimGroup, claimOwner, listenerPriorityClaim, TEAM_APP_FIRST_PRIORITY } from '../environment/claims';
import { listenerPrioritiesOf } from '../environment/registries';
import { sharingOf } from '../environment/sharing';
import { known, Problems, show } from '../private/validation';

/** The name of the app container, the target of the load balancer. */
export const CONTAINER_NAME = 'app';

/** What routing a service created: its target groups, listener rule and URL. */
export interface ServiceRouting {
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly alternateTargetGroup?: elbv2.ApplicationTargetGroup;
  readonly listenerRule?: elbv2.ApplicationListenerRule;
  readonly url?: string;
}

/** Whether the service is routed by a load balancer (a host name, path patterns or a listener). */
export function isRouted(props: TwelveFactorServiceProps): boolean {
  return props.hostName !== undefined || props.pathPatterns !== undefined || props.listener !== undefined;
}

/**
 * The problems of the routing props (health check path, host name, path patterns, listener)
 * and of a route another service already holds on the same listener, in this order.
 */
export function routingProblems(p: Problems, scope: IConstruct, props: TwelveFactorServiceProps): void {
  const env = props.environment;
  const routed = isRouted(props);
  if (known(props.healthCheckPath)) {
    p.when(!/^\/[\x21-\x7e]{0,1023}$/.test(props.healthCheckPath),
      `\`healthCheckPath\` ${show(props.healthCheckPath)} is not valid; use a path that starts with '/', up to 1024 characters, without spaces`);
  }
  if (!routed) {
    for (const name of ['healthCheckPath', 'healthCheckGracePeriod', 'routePriority', 'requestsPerTarget'] as const) {
      p.when(props[name] !== undefined, `\`${name}\` applies to a service routed by the load balancer; set \`hostName\` or \`pathPatterns\``);
    }
  } else {
    p.when(props.port === undefined, '`hostName`, `pathPatterns` and `listener` route requests to the service\'s `port`; set `port`');
    p.when(!env.loadBalancer && props.listener === undefined,
      `\`hostName\` and \`pathPatterns\` need the environment's shared load balancer; create ${env.node.path} with \`createLoadBalancer: true\` or give a \`listener\``);
  }
  if (props.listener !== undefined) {
    const conditioned = props.hostName !== undefined || props.pathPatterns !== undefined;
    if (conditioned) {
      p.when(props.routePriority === undefined, '`listener` with `hostName` or `pathPatterns` needs a `routePriority` unique on that listener');
    } else {
      p.when(!(props.listener instanceof elbv2.ApplicationListener),
        '`listener` is not a listener of this app, so the service cannot be its default action; add `hostName` or `pathPatterns` and a `routePriority`');
      p.when((props.deploymentStrategy ?? ecs.DeploymentStrategy.ROLLING) !== ecs.DeploymentStrategy.ROLLING,
        `\`deploymentStrategy\` ${props.deploymentStrategy} needs a listener rule; add \`hostName\` or \`pathPatterns\` and a \`routePriority\`, or use ROLLING`);
    }
  }
  if (props.hostName !== undefined && known(props.hostName)) {
    p.when(!/^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(props.hostName) || props.hostName.length > 253,
      `\`hostName\` ${show(props.hostName)} is not a host name`);
    const zoneName = env.hostedZone?.zoneName;
    if (zoneName && known(zoneName)) {
      const zone = zoneName.replace(/\.$/, '').toLowerCase();
      const host = props.hostName.toLowerCase();
      p.when(host !== zone && !host.endsWith(`.${zone}`),
        `\`hostName\` ${show(props.hostName)} is not in the environment's hosted zone '${zone}'; use a name ending in .${zone}`);
    }
  }
  routeTakenProblem(p, scope, props);
  if (props.pathPatterns !== undefined) {
    p.when(props.pathPatterns.length < 1 || props.pathPatterns.length > 5,
      `\`pathPatterns\` has ${props.pathPatterns.length} patterns; use 1 to 5`);
    for (const pattern of props.pathPatterns) {
      if (known(pattern) && !/^\/[\x21-\x7e]{0,127}$/.test(pattern)) {
        p.add(`\`pathPatterns\` entry ${show(pattern)} is not valid; use a path starting with '/', up to 128 characters, with * and ? wildcards`);
      }
    }
  }
}

/**
 * Routes requests to the service: its target group (and the alternate one of BLUE_GREEN,
 * LINEAR and CANARY deployments), a listener rule on the shared listener or `listener` (or
 * the listener's default action), the security group rule from the load balancer, and the
 * alias record of `hostName` in the environment's hosted zone. `scope` is the service.
 */
export function routeService(
  scope: Construct, service: ecs.FargateService, props: TwelveFactorServiceProps, strategy: ecs.DeploymentStrategy,
): ServiceRouting {
  const env = props.environment;
  const connections = service.connections;
  const shared = props.listener === undefined;
  const listener = props.listener ?? env.listener!;
  const newTargetGroup = (id: string) => new elbv2.ApplicationTargetGroup(scope, id, {
    vpc: env.vpc,
    port: props.port!,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    deregistrationDelay: Duration.seconds(30),
    healthCheck: {
      path: props.healthCheckPath ?? '/',
      healthyHttpCodes: '200-399',
      interval: Duration.seconds(15),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    },
  });
  const targetGroup = newTargetGroup('TargetGroup');
  const progressive = strategy !== ecs.DeploymentStrategy.ROLLING;
  const alternateTargetGroup = progressive ? newTargetGroup('AlternateTargetGroup') : undefined;

  const conditions: elbv2.ListenerCondition[] = [];
  if (props.hostName !== undefined) conditions.push(elbv2.ListenerCondition.hostHeaders([props.hostName]));
  if (props.pathPatterns !== undefined) conditions.push(elbv2.ListenerCondition.pathPatterns(props.pathPatterns));
  if (conditions.length === 0) {
    // The listener's default action (validated: a listener of this app, rolling deployments).
    (listener as elbv2.ApplicationListener).addTargetGroups('Default', { targetGroups: [targetGroup] });
    service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: props.port }).attachToApplicationTargetGroup(targetGroup);
    connections.allowFrom(listener, ec2.Port.tcp(props.port!), 'from its load balancer');
    return { targetGroup };
  }
  const listenerRule = new elbv2.ApplicationListenerRule(scope, 'ListenerRule', {
    listener,
    priority: shared ? sharedListenerPriority(scope, props) : props.routePriority!,
    conditions,
    action: alternateTargetGroup
      ? elbv2.ListenerAction.weightedForward([
        { targetGroup, weight: 100 },
        { targetGroup: alternateTargetGroup, weight: 0 },
      ])
      : elbv2.ListenerAction.forward([targetGroup]),
  });

  const target = service.loadBalancerTarget({
    containerName: CONTAINER_NAME,
    containerPort: props.port,
    alternateTarget: alternateTargetGroup ? new ecs.AlternateTarget('AlternateTarget', {
      alternateTargetGroup,
      productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(listenerRule),
    }) : undefined,
  });
  target.attachToApplicationTargetGroup(targetGroup);
  connections.allowFrom(listener, ec2.Port.tcp(props.port!), shared ? 'from the shared load balancer' : 'from its load balancer');

  let url: string | undefined;
  if (props.hostName !== undefined && shared) {
    url = `${env.https ? 'https' : 'http'}://${props.hostName}`;
    if (env.hostedZone) {
      new route53.ARecord(scope, 'AliasRecord', {
        zone: env.hostedZone,
        recordName: props.hostName,
        target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(env.loadBalancer!)),
      });
    }
  }
  return { targetGroup, alternateTargetGroup, listenerRule, url };
}

/**
 * The priority of a service's rule on the environment's shared listener. In an environment of
 * this app only: the explicit one or the next free one, at synthesis. In an environment shared
 * with other apps (`enableTeamApps`), the priority is also claimed at deploy time, so that two
 * apps never take the same one and their overlapping conditions are reported: a service of
 * the environment's own app claims the priority chosen at synthesis (below
 * `TEAM_APP_FIRST_PRIORITY` unless given); a service of another app claims its `routePriority`
 * or gets the lowest free one from `TEAM_APP_FIRST_PRIORITY` on.
 */
function sharedListenerPriority(scope: Construct, props: TwelveFactorServiceProps): number {
  const env = props.environment;
  const sharing = sharingOf(env);
  if (!sharing) return listenerPrioritiesOf(env).reserve(props.routePriority, scope);
  // Explicit priorities are also unique within this app, at synthesis; a service of another app
  // without one asks the claim for the lowest free one.
  const requested = sharing.imported && props.routePriority === undefined
    ? undefined
    : listenerPrioritiesOf(env).reserve(props.routePriority, scope);
  const claim = listenerPriorityClaim(scope, 'ListenerPriorityClaim', {
    serviceToken: sharing.claimServiceToken,
    environmentName: sharing.environmentName,
    listenerArn: env.listener!.listenerArn,
    owner: claimOwner(scope),
    group: claimGroup(env),
    hosts: props.hostName !== undefined ? [props.hostName] : [],
    paths: props.pathPatterns ?? [],
    priority: requested,
    firstPriority: TEAM_APP_FIRST_PRIORITY,
  });
  return claim.priority;
}

/**
 * The listener a routed service gets a rule on and the host and path patterns it claims
 * there, or undefined when it gets no rule (not routed, the listener's default action) or a
 * token hides its conditions.
 */
export function listenerRoute(scope: IConstruct, props: TwelveFactorServiceProps): { listener: object; claim: RouteClaim } | undefined {
  if (props.hostName === undefined && props.pathPatterns === undefined) return undefined;
  const listener = props.listener ?? props.environment.listener;
  if (!listener) return undefined;
  const claim = routeClaim(props.hostName, props.pathPatterns, scope.node.path);
  return claim ? { listener, claim } : undefined;
}

/**
 * Two services on one listener with the same host name and path patterns (or neither) would
 * compete for the same requests: the listener evaluates its rules in priority order and the
 * first that matches wins, so one of the services would never receive a request.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
 */
function routeTakenProblem(p: Problems, scope: IConstruct, props: TwelveFactorServiceProps): void {
  const route = listenerRoute(scope, props);
  const taken = route ? routeTakenBy(route.listener, route.claim) : undefined;
  if (!route || !taken) return;
  const host = props.hostName !== undefined ? `\`hostName\` ${show(props.hostName)}` : 'no `hostName`';
  const paths = props.pathPatterns !== undefined ? `\`pathPatterns\` ${show(props.pathPatterns)}` : 'no `pathPatterns`';
  p.add(`${host} with ${paths} is already routed on this listener to ${taken.owner}: the listener sends those requests to the first matching rule, so one of ${taken.owner} and ${scope.node.path} would never receive any; give each service its own \`hostName\` (host names match without case) or distinct \`pathPatterns\``);
}

/** The conditions of a service's listener rule, as the routes registry keeps them. */
export interface RouteClaim {
  /** The host name in lower case without the final dot, or undefined when not routed by host. */
  readonly host?: string;
  /** The path patterns, sorted, or undefined when not routed by path. */
  readonly paths?: string[];
  /** The construct path of the service that holds the route. */
  readonly owner: string;
}

/**
 * The routes taken on each listener: services on one listener with the same host name and
 * the same path patterns (none included) would compete for the same requests, and the
 * listener sends them all to the rule with the lowest priority, so the other service is
 * unreachable. Keyed by the listener object, so nothing is kept once the app is gone.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
 */
const ROUTES = new WeakMap<object, RouteClaim[]>();

/**
 * A route's claim of host name and path patterns, with the host compared without case
 * (host names are not case-sensitive; host conditions match without case) and the path
 * patterns as a set (path patterns are case-sensitive). Undefined when a token makes the
 * route unknown at synth time.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/add-rule.html
 */
export function routeClaim(hostName: string | undefined, pathPatterns: string[] | undefined, owner: string): RouteClaim | undefined {
  if (hostName !== undefined && (typeof hostName !== 'string' || Token.isUnresolved(hostName))) return undefined;
  if (pathPatterns !== undefined && (!Array.isArray(pathPatterns) || pathPatterns.some((p) => typeof p !== 'string' || Token.isUnresolved(p)))) {
    return undefined;
  }
  return {
    host: hostName?.toLowerCase().replace(/\.$/, ''),
    paths: pathPatterns ? [...new Set(pathPatterns)].sort() : undefined,
    owner,
  };
}

function sameRoute(a: RouteClaim, b: RouteClaim): boolean {
  return a.host === b.host && JSON.stringify(a.paths) === JSON.stringify(b.paths);
}

/** The claim on the listener with the same host and path patterns, or undefined. */
export function routeTakenBy(listener: object, claim: RouteClaim): RouteClaim | undefined {
  return (ROUTES.get(listener) ?? []).find((other) => sameRoute(other, claim));
}

/** Records a route on a listener, once the service that claims it is valid. */
export function claimRoute(listener: object, claim: RouteClaim): void {
  const claims = ROUTES.get(listener) ?? [];
  claims.push(claim);
  ROUTES.set(listener, claims);
}
