import { Duration, aws_ecs as ecs, aws_servicediscovery as servicediscovery } from 'aws-cdk-lib';

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
   * ECS Service Connect in the environment's namespace: clients reach
   * `<serviceName>.<namespace>:<port>` through the Service Connect proxy, with retries and
   * per-request metrics. Needs a port.
   *
   * Who can reach the name: only tasks that ECS services create with a Service Connect
   * configuration in the same namespace, that is the other services of the environment
   * with `Discovery.SERVICE_CONNECT` (the proxy in the client task resolves the name; ECS
   * registers the endpoints in Cloud Map for API discovery, with no DNS record). It does not
   * resolve in services with `Discovery.CLOUD_MAP`, admin tasks (started with RunTask or by an
   * EventBridge schedule: "Only the tasks that Amazon ECS services create are supported with
   * Service Connect"), Lambda functions or anything else in the VPC. Use `CLOUD_MAP` for a
   * service those must reach.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ClusterServiceConnectDefaults.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect.html
   */
  SERVICE_CONNECT = 'service-connect',
}

/** The environments (by their namespace) that have a Service Connect service. */
const SERVICE_CONNECT_NAMESPACES = new WeakSet<object>();

/**
 * Records that a service of the namespace uses Service Connect.
 * @internal
 */
export function markServiceConnect(namespace: servicediscovery.INamespace): void {
  SERVICE_CONNECT_NAMESPACES.add(namespace);
}

/**
 * Whether a service of the namespace uses Service Connect.
 * @internal
 */
export function usesServiceConnect(namespace: servicediscovery.INamespace): boolean {
  return SERVICE_CONNECT_NAMESPACES.has(namespace);
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

/**
 * Service Connect configuration of a service.
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
    services: port === undefined ? [] : [{ portMappingName, discoveryName: name, dnsName: `${name}.${namespace.namespaceName}`, port }],
    logDriver,
  };
}
