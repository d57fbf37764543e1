// createOutputs: what a user looks for after a deploy (the service's URL or DNS name, the load
// balancer's DNS name), only when asked, with descriptions and ids unique in the stack.
import { App, Stack, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IMAGE, ENV, withEnvironment } from './fixtures';
import { MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { attempt, expectValidationError } from '../error-contract';

const outputs = (stack: Stack): Record<string, any> => Template.fromStack(stack).toJSON().Outputs ?? {};

/** The one output whose logical id starts with `prefix` (ids end with a hash of the construct path). */
function output(stack: Stack, prefix: string): any {
  const found = Object.entries(outputs(stack)).filter(([id]) => id.startsWith(prefix));
  expect(found.map(([id]) => id)).toEqual([expect.stringMatching(new RegExp(`^${prefix}[0-9A-F]{8}$`))]);
  return found[0][1];
}

describe('TwelveFactorService createOutputs', () => {
  test('off by default: no output', () => {
    const { stack, env } = withEnvironment();
    new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '1000', hostName: 'users.example.com' });
    expect(outputs(stack)).toEqual({});
  });

  test('a service routed by host name on the shared load balancer: its URL and the load balancer DNS name', () => {
    const { stack, env } = withEnvironment();
    new TwelveFactorService(stack, 'Users', {
      environment: env, image: IMAGE, port: 8080, user: '1000', hostName: 'users.example.com', createOutputs: true,
    });
    const t = Template.fromStack(stack);
    expect(output(stack, 'UsersUrl')).toMatchObject({ Value: 'https://users.example.com', Description: 'The URL clients use to reach Test/Users' });
    const lbId = Object.keys(t.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
    expect(output(stack, 'UsersLoadBalancerDnsName')).toMatchObject({
      Value: { 'Fn::GetAtt': [lbId, 'DNSName'] },
      Description: 'The DNS name of the load balancer that routes requests to Test/Users',
    });
    expect(Object.keys(outputs(stack))).toHaveLength(2);
  });

  test('a service routed by path (no URL): its discovery name and the load balancer DNS name', () => {
    const { stack, env } = withEnvironment();
    new TwelveFactorService(stack, 'Orders', {
      environment: env, image: IMAGE, port: 8080, user: '1000', pathPatterns: ['/orders/*'], createOutputs: true,
    });
    expect(output(stack, 'OrdersDiscoveryName')).toMatchObject({
      Value: 'orders.env.internal',
      Description: 'The DNS name other services of Test/Env use to reach Test/Orders',
    });
    expect(output(stack, 'OrdersLoadBalancerDnsName')).toMatchObject({ Value: { 'Fn::GetAtt': [expect.stringMatching(/^EnvLoadBalancer/), 'DNSName'] } });
    expect(Object.keys(outputs(stack)).filter((k) => k.startsWith('OrdersUrl'))).toEqual([]);
  });

  test('a worker: its discovery name only', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const env = new MicroserviceEnvironment(stack, 'Env', { namespaceName: 'shop.internal' });
    new TwelveFactorService(stack, 'Mailer', { environment: env, image: IMAGE, user: '1000', createOutputs: true });
    const all = outputs(stack);
    expect(Object.keys(all)).toEqual([expect.stringMatching(/^MailerDiscoveryName/)]);
    expect(Object.values(all)[0].Value).toBe('mailer.shop.internal');
  });

  test('a service behind its own listener: that load balancer\'s DNS name', () => {
    const { stack, env } = withEnvironment({}, false);
    const lb = new elbv2.ApplicationLoadBalancer(stack, 'Own', { vpc: env.vpc });
    const listener = lb.addListener('Http', { port: 80, open: false });
    new TwelveFactorService(stack, 'Web', { environment: env, image: IMAGE, port: 8080, user: '1000', listener, createOutputs: true });
    expect(output(stack, 'WebLoadBalancerDnsName')).toMatchObject({ Value: { 'Fn::GetAtt': [expect.stringMatching(/^Own/), 'DNSName'] } });
    expect(output(stack, 'WebDiscoveryName')).toMatchObject({ Value: 'web.env.internal' });
  });

  test('two services in one stack get distinct output ids', () => {
    const { stack, env } = withEnvironment();
    for (const name of ['Users', 'Orders']) {
      new TwelveFactorService(stack, name, {
        environment: env, image: IMAGE, port: 8080, user: '1000', hostName: `${name.toLowerCase()}.example.com`, createOutputs: true,
      });
    }
    const ids = Object.keys(outputs(stack));
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
  });

  test('createOutputs of the wrong kind is refused', () => {
    const { stack, env } = withEnvironment();
    const err = attempt(() => new TwelveFactorService(stack, 'Users', {
      environment: env, image: IMAGE, user: '1000', createOutputs: 'yes' as unknown as boolean,
    }));
    expect(expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Users', props: ['createOutputs'] }))
      .toContain("`createOutputs` 'yes' is not a boolean");
  });
});

describe('MicroserviceEnvironment createOutputs', () => {
  test('the shared load balancer\'s DNS name, with a description', () => {
    const { stack } = withEnvironment({ createOutputs: true });
    expect(output(stack, 'EnvLoadBalancerDnsName')).toMatchObject({
      Value: { 'Fn::GetAtt': [expect.stringMatching(/^EnvLoadBalancer/), 'DNSName'] },
      Description: 'The DNS name of the shared load balancer of Test/Env',
    });
  });

  test('off by default: no output', () => {
    const { stack } = withEnvironment();
    expect(outputs(stack)).toEqual({});
  });

  test('two environments in one stack get distinct output ids', () => {
    const { stack } = withEnvironment({ createOutputs: true });
    const vpc = new ec2.Vpc(stack, 'OtherVpc', { maxAzs: 2, natGateways: 1 });
    new MicroserviceEnvironment(stack, 'Other', { vpc, createLoadBalancer: true, allowPlainHttp: true, createOutputs: true });
    const ids = Object.keys(outputs(stack));
    expect(ids).toEqual(expect.arrayContaining([expect.stringMatching(/^EnvLoadBalancerDnsName/), expect.stringMatching(/^OtherLoadBalancerDnsName/)]));
    expect(ids).toHaveLength(2);
  });

  test('without createLoadBalancer it is refused: there is nothing to output', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const err = attempt(() => new MicroserviceEnvironment(stack, 'Env', { createOutputs: true }));
    expect(expectValidationError(err, { classes: ['MicroserviceEnvironment'], path: 'Test/Env', props: ['createOutputs', 'createLoadBalancer'] }))
      .toContain('`createOutputs` configures the shared load balancer; set `createLoadBalancer: true` or remove it');
  });
});
