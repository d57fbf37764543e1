/**
 * What each observability feature adds to a stack, per service: resources and template bytes
 * (compact JSON, as CloudFormation counts a template's size), for an HTTP service, a worker
 * with one subscription, and a canary. Each feature is measured alone against the same service
 * without it (saved queries off, no tracing, no dashboard), in one run.
 *
 * Run:
 *   cd /work/main && TS_NODE_TRANSPILE_ONLY=true npx ts-node --project bench/tsconfig.json bench/observability-footprint.ts
 */
import { App, Duration, Stack, aws_certificatemanager as acm, aws_ecs as ecs, aws_route53 as route53 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  CanaryDashboard, CanaryDeployment, MessageBus, MicroserviceEnvironment, ServiceDashboard, TwelveFactorService, TwelveFactorServiceProps,
} from '../src';

const ENV = { account: '111111111111', region: 'us-east-1' };
const IMAGE = ecs.ContainerImage.fromRegistry('111111111111.dkr.ecr.us-east-1.amazonaws.com/app:1');
const CERT = 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

interface Features {
  readonly queries: boolean;
  readonly tracing: boolean;
  readonly dashboard: boolean;
}

type Kind = 'HTTP service' | 'worker with a subscription' | 'canary';

function synth(kind: Kind, f: Features): { resources: number; bytes: number } {
  const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
  const stack = new Stack(app, 'Footprint', { env: ENV });
  const environment = new MicroserviceEnvironment(stack, 'Env', {
    createLoadBalancer: kind === 'HTTP service',
    certificate: kind === 'HTTP service' ? acm.Certificate.fromCertificateArn(stack, 'EnvCert', CERT) : undefined,
  });
  const props: TwelveFactorServiceProps = { environment, image: IMAGE, user: '1000', tracing: f.tracing, createLogQueries: f.queries };
  if (kind === 'HTTP service') {
    const service = new TwelveFactorService(stack, 'Api', { ...props, port: 8080, hostName: 'api.example.com' });
    if (f.dashboard) new ServiceDashboard(stack, 'Dashboard', { service });
  } else if (kind === 'worker with a subscription') {
    const bus = new MessageBus(stack, 'Bus', { environment });
    const topic = bus.addTopic('order-placed');
    const service = new TwelveFactorService(stack, 'Worker', props);
    topic.subscribe(service, { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.seconds(2) });
    if (f.dashboard) new ServiceDashboard(stack, 'Dashboard', { service });
  } else {
    const canary = new CanaryDeployment(stack, 'Api', {
      serviceProps: { ...props, serviceName: 'api', port: 8080 },
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789', zoneName: 'example.com' }),
      recordName: 'api',
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
    });
    if (f.dashboard) new CanaryDashboard(stack, 'Dashboard', { canary });
  }
  const template = Template.fromStack(stack).toJSON();
  return { resources: Object.keys(template.Resources).length, bytes: JSON.stringify(template).length };
}

function main(): void {
  const none: Features = { queries: false, tracing: false, dashboard: false };
  const rows: string[] = [];
  for (const kind of ['HTTP service', 'worker with a subscription', 'canary'] as Kind[]) {
    const base = synth(kind, none);
    rows.push(`${kind}: ${base.resources} resources, ${(base.bytes / 1024).toFixed(1)} KB without any`);
    for (const feature of ['queries', 'tracing', 'dashboard'] as Array<keyof Features>) {
      const withIt = synth(kind, { ...none, [feature]: true });
      const added = withIt.resources - base.resources;
      rows.push(`  + ${feature.padEnd(9)} ${added >= 0 ? '+' : ''}${added} resources, +${((withIt.bytes - base.bytes) / 1024).toFixed(2)} KB`);
    }
    const all = synth(kind, { queries: true, tracing: true, dashboard: true });
    rows.push(`  all three: +${all.resources - base.resources} resources, +${((all.bytes - base.bytes) / 1024).toFixed(2)} KB (${(all.bytes / 1024).toFixed(1)} KB of CloudFormation's 1,000 KB)`);
  }
  process.stdout.write(`What each observability feature adds (compact template bytes)\n${rows.join('\n')}\n`);
}

main();
