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
