/** Fixtures shared by the message bus tests. */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventTopic, MessageBus, MicroserviceEnvironment, TwelveFactorService, TwelveFactorServiceProps } from '../../src';
import { IMAGE, withEnvironment } from '../service/fixtures';

export function setup(serviceProps: Partial<TwelveFactorServiceProps> = {}): {
  stack: Stack; env: MicroserviceEnvironment; bus: MessageBus; topic: EventTopic; users: TwelveFactorService; worker: TwelveFactorService;
} {
  const { stack, env } = withEnvironment({}, false);
  const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '1000' });
  const worker = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, user: '1000', ...serviceProps });
  const bus = new MessageBus(stack, 'Bus', { environment: env });
  const topic = bus.addTopic('user-signup');
  return { stack, env, bus, topic, users, worker };
}

export function resourcesOf(template: Template, type: string, pathPart: string): Array<[string, any]> {
  return Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(pathPart));
}

export function only(template: Template, type: string, pathPart: string): any {
  const found = resourcesOf(template, type, pathPart);
  if (found.length !== 1) throw new Error(`expected one ${type} ${pathPart}*, found ${found.map(([id]) => id).join(', ')}`);
  return found[0][1];
}

export function policyStatementsOf(template: Template, rolePrefix: string): any[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(rolePrefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
