import { Token } from 'aws-cdk-lib';

/**
 * Whether a task in subnets without a route to the internet (no NAT gateway) can pull an
 * image through the environment's ECR interface endpoints (`ecr.api`, `ecr.dkr`) and the S3
 * gateway endpoint.
 *
 * - `true`: a private ECR registry in the stack's Region (any account: the endpoints serve
 *   every registry of the Region; ECR pull-through cache repositories are private ECR
 *   repositories too).
 * - `false`: Docker Hub (a name without a registry host, or `docker.io`), `public.ecr.aws`,
 *   `ghcr.io`, `quay.io`, any other registry, or a private ECR registry in another Region.
 * - `undefined`: not known at synthesis (the registry part is a token, as for asset images
 *   and `fromEcrRepository`, both private ECR; or the stack's Region is a token and the
 *   image names a Region).
 *
 * The ECR endpoints serve only private registries of their own Region: "VPC endpoints
 * currently don't support cross-Region requests" and public repositories are to be copied
 * with a pull through cache rule into a private repository of the endpoint's Region
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html). The registry
 * host of a private repository is `<account>.dkr.ecr.<region>.amazonaws.com`
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html).
 *
 * @param imageName the image reference as ECS receives it (`ContainerDefinition.imageName`)
 * @param region the stack's Region (may be a token)
 */
export function imageReachableThroughEndpoints(imageName: string, region: string): boolean | undefined {
  const registry = registryOf(imageName);
  if (registry === undefined) return undefined;
  const ecr = /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(registry.toLowerCase());
  if (!ecr) return false;
  if (Token.isUnresolved(region)) return undefined;
  return ecr[1] === region;
}

/**
 * The registry host of an image reference (`docker.io` when it names none), or undefined when
 * the part that names the registry is a token.
 *
 * Docker's reference grammar: the first `/`-separated component is a registry host only if it
 * holds a `.` or a `:` or is `localhost`; otherwise the image is on Docker Hub
 * (https://docs.docker.com/reference/cli/docker/image/tag/#description).
 */
export function registryOf(imageName: string): string | undefined {
  const slash = imageName.indexOf('/');
  const first = slash < 0 ? imageName : imageName.slice(0, slash);
  if (Token.isUnresolved(first)) return undefined;
  if (slash < 0) return 'docker.io';
  if (first.includes('.') || first.includes(':') || first === 'localhost') return first;
  return 'docker.io';
}
