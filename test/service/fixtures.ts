import { App, Stack, aws_certificatemanager as acm, aws_ec2 as ec2, aws_ecs as ecs, aws_route53 as route53 } from 'aws-cdk-lib';
import { MicroserviceEnvironment, MicroserviceEnvironmentProps } from '../../src';

export const ENV = { account: '111111111111', region: 'us-east-1' };
export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable');
export const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

/** A stack with an environment that has an HTTPS load balancer and a hosted zone. */
export function withEnvironment(props: Partial<MicroserviceEnvironmentProps> = {}, loadBalancer = true): {
  stack: Stack; env: MicroserviceEnvironment;
} {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const lbProps: MicroserviceEnvironmentProps = loadBalancer ? {
    createLoadBalancer: true,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
  } : {};
  const env = new MicroserviceEnvironment(stack, 'Env', { ...lbProps, ...props });
  return { stack, env };
}

/** The container definition of the first task definition whose family matches. */
export function containerOf(template: { findResources(type: string): Record<string, any> }, logicalIdPrefix: string): any {
  const defs = template.findResources('AWS::ECS::TaskDefinition');
  const id = Object.keys(defs).find((k) => k.startsWith(logicalIdPrefix));
  if (!id) throw new Error(`no task definition ${logicalIdPrefix}*`);
  return defs[id].Properties.ContainerDefinitions[0];
}

/** An imported VPC with two public and two private subnets: fast to build, nothing to create. */
export function importedVpc(stack: Stack, id = 'Vpc'): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, id, {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b'],
    privateSubnetIds: ['subnet-0000000000000000c', 'subnet-0000000000000000d'],
    publicSubnetRouteTableIds: ['rtb-0000000000000000a', 'rtb-0000000000000000b'],
    privateSubnetRouteTableIds: ['rtb-0000000000000000c', 'rtb-0000000000000000d'],
  });
}
