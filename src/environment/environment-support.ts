import {
  RemovalPolicy,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_logs as logs,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { IMicroserviceEnvironment } from './environment-interface';
import { LoadBalancerOptions } from './environment-load-balancer';
import { ImportedMicroserviceEnvironment } from './imported-environment';
import { MicroserviceEnvironment } from './microservice-environment';
import { Problems } from '../private/validation';

/**
 * What constructs ask of any `IMicroserviceEnvironment`. A `MicroserviceEnvironment` of this
 * app does it with what it owns (its endpoints, its access-log bucket, its WAF); another
 * implementation gets what its attributes allow, or a refusal that says what to give it.
 */

/**
 * Makes sure the environment's VPC has an interface endpoint for `service`, when the environment
 * creates endpoints. Returns the endpoint, if any.
 * @internal
 */
export function requireEndpoint(env: IMicroserviceEnvironment, service: ec2.InterfaceVpcEndpointAwsService): ec2.IInterfaceVpcEndpoint | undefined {
  return env instanceof MicroserviceEnvironment ? env._requireEndpoint(service) : undefined;
}

/**
 * Whether the environment's services trace by default: a `MicroserviceEnvironment`'s
 * `defaultTracing`, false for any other.
 * @internal
 */
export function tracesByDefault(env: IMicroserviceEnvironment): boolean {
  return env instanceof MicroserviceEnvironment ? env.defaultTracing : false;
}

/**
 * A log group with the environment's retention and key.
 * @internal
 */
export function createLogGroup(env: IMicroserviceEnvironment, scope: Construct, id: string, retention?: logs.RetentionDays): logs.LogGroup {
  if (env instanceof MicroserviceEnvironment) return env._createLogGroup(scope, id, retention);
  return new logs.LogGroup(scope, id, {
    retention: retention ?? env.logRetention,
    encryptionKey: env.encryptionKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/**
 * The bucket the environment's load balancers write access logs to: created on first use by a
 * `MicroserviceEnvironment`, otherwise its `accessLogsBucket`.
 * @internal
 */
export function obtainAccessLogsBucket(env: IMicroserviceEnvironment, requester: IConstruct): s3.IBucket {
  if (env instanceof MicroserviceEnvironment) return env._obtainAccessLogsBucket();
  if (env.accessLogsBucket) return env.accessLogsBucket;
  Problems.reject(requester.constructor.name, requester,
    `the environment ${env.node.path} has no \`accessLogsBucket\`; give it the bucket its load balancers write access logs to`,
  );
}

/**
 * A load balancer built as the environment builds its own (access logs, WAF, TLS policy).
 * Only a `MicroserviceEnvironment` of this app knows how.
 * @internal
 */
export function addLoadBalancer(env: IMicroserviceEnvironment, scope: Construct, requester: IConstruct, options: LoadBalancerOptions): {
  loadBalancer: elbv2.ApplicationLoadBalancer; listener: elbv2.ApplicationListener;
} {
  if (env instanceof MicroserviceEnvironment) return env._addLoadBalancer(scope, options);
  // An environment of another app (`fromLookup`) builds them with the settings it published.
  if (env instanceof ImportedMicroserviceEnvironment) return env._addLoadBalancer(scope, options);
  Problems.reject(requester.constructor.name, requester,
    `the environment ${env.node.path} is neither a MicroserviceEnvironment of this app nor one looked up with MicroserviceEnvironment.fromLookup, so it cannot build load balancers with its settings; give the construct its load balancers`,
  );
}

/**
 * Whether a value is an `IMicroserviceEnvironment` (checked by shape: props from JavaScript or
 * another jsii language may be anything).
 * @internal
 */
export function isMicroserviceEnvironment(value: unknown): value is IMicroserviceEnvironment {
  if (value instanceof MicroserviceEnvironment) return true;
  const v = value as Partial<IMicroserviceEnvironment> | undefined;
  return typeof v === 'object' && v !== null && typeof v.node === 'object'
    && typeof v.vpc === 'object' && typeof v.cluster === 'object' && typeof v.namespace === 'object'
    && typeof v.encryptionKey === 'object' && typeof v.alarmTopic === 'object';
}
