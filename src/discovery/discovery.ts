import { Duration, aws_ecs as ecs, aws_servicediscovery as servicediscovery } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { claimOwner, serviceNameClaim } from '../environment/claims';
import type { IMicroserviceEnvironment } from '../environment/environment-interface';
import { sharingOf } from '../environment/sharing';

/**
 * How a service is found by the others.
 */
export enum Discovery {
  /**
   * Register every task in the environment's Cloud Map private DNS namespace: an A record
   * `<serviceName>.<namespace>` (TTL 10 s) and API discovery with custom attributes.
   */
  CLOUD_MAP = 'cloud-map',
  /**
   * ECS Service Connect in the environment's namespace, on top of the DNS registration of
   * `CLOUD_MAP`: `<serviceName>.<namespace>:<port>` resolves in every task of the VPC.
   * Needs a port.
   *
   * In the tasks of the environment's other `SERVICE_CONNECT` services the name goes through
   * their Service Connect proxy (retries, outlier detection, per-request metrics). Everywhere
   * else (services with `CLOUD_MAP`, admin tasks started with RunTask or by a schedule,
   * Lambda functions) it is the A record of the DNS registration and connections go to the
   * tasks directly: "Only the tasks that Amazon ECS services create are supported with Service
   * Connect", so those clients could not resolve a Service Connect name alone. The Service
   * Connect endpoint is the Cloud Map service `<serviceName>-sc` (two Cloud Map services of a
   * namespace cannot share a name); its client alias is the DNS name, as AWS's migration path
   * from DNS discovery to Service Connect does.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ClusterServiceConnectDefaults.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html
   */
  SERVICE_CONNECT = 'service-connect',
}

/** Limits of Cloud Map custom service attributes. */
const MAX_ATTRIBUTES = 30;

/**
 * Problems of discovery attributes (Cloud Map: at most 30, keys up to 255 printable
 * characters, values up to 1024).
 * @internal
 */
export function discoveryAttributeProblems(attributes: { [key: string]: string } | undefined): string[] {
  if (!attributes) return [];
  const problems: string[] = [];
  const keys = Object.keys(attributes);
  if (keys.length > MAX_ATTRIBUTES) {
    problems.push(`\`discoveryAttributes\` has ${keys.length} attributes; Cloud Map allows at most ${MAX_ATTRIBUTES}`);
  }
  for (const key of keys) {
    if (!/^[!-~]{1,255}$/.test(key)) {
      problems.push(`\`discoveryAttributes\` key '${key.slice(0, 40)}' is not valid; use 1 to 255 printable ASCII characters without spaces`);
    }
    const value = attributes[key];
    if (typeof value !== 'string' || value.length > 1024) {
      problems.push(`\`discoveryAttributes\` value of '${key.slice(0, 40)}' is not valid; use a string of at most 1024 characters`);
    }
  }
  return problems;
}

/**
 * Cloud Map options of a service registered by DNS.
 * @internal
 */
export function cloudMapOptions(namespace: servicediscovery.INamespace, name: string): ecs.CloudMapOptions {
  return {
    cloudMapNamespace: namespace,
    name,
    dnsRecordType: servicediscovery.DnsRecordType.A,
    dnsTtl: Duration.seconds(10),
  };
}

/**
 * Sets the custom attributes on the Cloud Map service ECS registers tasks in.
 * @internal
 */
export function applyDiscoveryAttributes(cloudMapService: servicediscovery.IService | undefined, attributes: { [key: string]: string }): void {
  const cfn = cloudMapService?.node.defaultChild as servicediscovery.CfnService | undefined;
  if (cfn && Object.keys(attributes).length > 0) cfn.serviceAttributes = attributes;
}

/** What the Service Connect endpoint's Cloud Map service adds to the service's name. */
export const SERVICE_CONNECT_SUFFIX = '-sc';

/**
 * Service Connect configuration of a service: its endpoint is the Cloud Map service
 * `<name>-sc` (the DNS registration has `<name>`), its client alias `<name>.<namespace>`.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectService.html
 * @internal
 */
export function serviceConnectConfiguration(
  namespace: servicediscovery.INamespace,
  name: string,
  port: number | undefined,
  portMappingName: string,
  logDriver: ecs.LogDriver,
): ecs.ServiceConnectProps {
  return {
    namespace: namespace.namespaceArn,
    services: port === undefined ? [] : [{ portMappingName, discoveryName: `${name}${SERVICE_CONNECT_SUFFIX}`, dnsName: `${name}.${namespace.namespaceName}`, port }],
    logDriver,
  };
}

/**
 * In an environment shared with other apps (`enableTeamApps`), claims the service's names in
 * the namespace at deploy time before anything registers them (`dependents` wait for the
 * claims): a name another app holds fails the deployment with a message naming both services
 * and the fix, where Cloud Map would only say the service exists. Nothing otherwise: the
 * names are unique in the app at synthesis.
 */
export function claimServiceNames(scope: Construct, env: IMicroserviceEnvironment, dependents: Array<IConstruct | undefined>, names: string[]): void {
  const sharing = sharingOf(env);
  if (!sharing) return;
  names.forEach((name, i) => {
    const claim = serviceNameClaim(scope, i === 0 ? 'ServiceNameClaim' : `ServiceNameClaim${i + 1}`, {
      serviceToken: sharing.claimServiceToken,
      environmentName: sharing.environmentName,
      namespaceId: env.namespace.namespaceId,
      name,
      owner: claimOwner(scope),
    });
    for (const dependent of dependents) dependent?.node.addDependency(claim);
  });
}
