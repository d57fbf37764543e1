/**
 * The platform app the team-app tests build on: a stack in a known account and Region with an
 * environment shared under the name `store` (shared load balancer, certificate and zone), and
 * what a team app's lookup finds once it is deployed.
 */
import { App, Stack, aws_certificatemanager as acm, aws_ecs as ecs, aws_route53 as route53 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { environmentContext, lookupKey } from '../../examples/shared/environment-context';
import { MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { EnvironmentDocument, parseEnvironmentDocument } from '../../src/environment/environment-document';

export const PLATFORM = { account: '111111111111', region: 'eu-west-1' };
export const CERT_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';
export const ZONE = { hostedZoneId: 'Z0123456789', zoneName: 'shop.example.com' };
/** The SSM parameter the environment named `store` is published under. */
export const PARAMETER = '/cdk-microservices/store/environment';
export const IMAGE = 'public.ecr.aws/nginx/nginx-unprivileged:stable';

/** The platform app: the shared environment, and services of its own (host `<name>.shop.example.com`). */
export function platform(services: string[] = []): { app: App; stack: Stack; env: MicroserviceEnvironment; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: PLATFORM });
  const env = new MicroserviceEnvironment(stack, 'Env', {
    enableTeamApps: true,
    environmentName: 'store',
    createLoadBalancer: true,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', ZONE),
  });
  for (const name of services) {
    new TwelveFactorService(stack, name, {
      environment: env,
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      port: 8080,
      user: '101',
      hostName: `${name}.shop.example.com`,
    });
  }
  return { app, stack, env, template: Template.fromStack(stack) };
}

/** The context a team app gets once the platform is deployed (its lookups answered), and the document in it. */
export function platformContext(template: Template = platform().template): { context: { [key: string]: string }; doc: EnvironmentDocument } {
  const context = environmentContext([template.toJSON()], PLATFORM);
  return { context, doc: parseEnvironmentDocument(context[lookupKey(PARAMETER, PLATFORM)], PARAMETER).doc! };
}
