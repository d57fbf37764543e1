/**
 * Shared by the canary tests: a stack with an environment on an imported VPC and a hosted
 * zone, the service props of a slot, and reading back the state machine definition that
 * CloudFormation receives (its Fn::Join parsed, each Ref or Fn::GetAtt left as a placeholder).
 */
import {
  App,
  Stack,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_route53 as route53,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { CanaryDeployment, MicroserviceEnvironment, MicroserviceEnvironmentProps, TwelveFactorServiceProps } from '../../src';
import { CERT_ARN, ENV, IMAGE, importedVpc } from '../service/fixtures';

export const ZONE_ID = 'Z0123456789EXAMPLE';
export const ZONE_NAME = 'example.com';

/** A stack, its environment (imported VPC, nothing to create for the network) and a zone. */
export interface CanaryWorld {
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  readonly env: MicroserviceEnvironment;
  readonly zone: route53.IHostedZone;
}

/**
 * A fresh app and stack. With `certificate`, the environment has a shared HTTPS load
 * balancer and so a certificate the canary can fall back on; without, it has neither.
 */
export function canaryWorld(options: { certificate?: boolean; env?: Partial<MicroserviceEnvironmentProps> } = {}): CanaryWorld {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const vpc = importedVpc(stack);
  const lb: Partial<MicroserviceEnvironmentProps> = options.certificate
    ? { createLoadBalancer: true, certificate: acm.Certificate.fromCertificateArn(stack, 'EnvCert', CERT_ARN) }
    : {};
  const env = new MicroserviceEnvironment(stack, 'Env', { vpc, ...lb, ...options.env });
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: ZONE_ID, zoneName: ZONE_NAME });
  return { stack, vpc, env, zone };
}

/** An imported VPC with another id than the environment's (importedVpc's). */
export function otherVpc(stack: Stack, id: string, vpcId = 'vpc-0fedcba9876543210'): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, id, {
    vpcId,
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-1000000000000000a', 'subnet-1000000000000000b'],
    privateSubnetIds: ['subnet-1000000000000000c', 'subnet-1000000000000000d'],
  });
}

/** The service props of the slots: a web service on 8080 as a non-root user. */
export function slotService(env: MicroserviceEnvironment, extra: Partial<TwelveFactorServiceProps> = {}): TwelveFactorServiceProps {
  return { environment: env, image: IMAGE, port: 8080, healthCheckPath: '/health', user: '1000', ...extra };
}

/**
 * Parses a CloudFormation string value (a literal or an Fn::Join of literals and tokens) as
 * JSON. Each token becomes a placeholder string: `<Ref Id>`, `<GetAtt Id.Attr>`, or the
 * intrinsic's JSON with quotes stripped; inside a JSON string it is spliced into the string.
 */
export function parseCfnJson(value: any): any {
  if (typeof value === 'string') return JSON.parse(value);
  const parts: any[] = value['Fn::Join'][1];
  if (value['Fn::Join'][0] !== '') throw new Error('expected an Fn::Join with an empty separator');
  let out = '';
  let inString = false;
  for (const part of parts) {
    if (typeof part !== 'string') {
      const placeholder = placeholderOf(part);
      out += inString ? placeholder : JSON.stringify(placeholder);
      continue;
    }
    for (let i = 0; i < part.length; i++) {
      const ch = part[i];
      if (inString && ch === '\\') {
        out += ch + part[i + 1];
        i++;
        continue;
      }
      if (ch === '"') inString = !inString;
      out += ch;
    }
  }
  return JSON.parse(out);
}

/** The placeholder of an intrinsic in a parsed definition. */
export function placeholderOf(intrinsic: any): string {
  if (intrinsic.Ref !== undefined) return `<Ref ${intrinsic.Ref}>`;
  const getAtt = intrinsic['Fn::GetAtt'];
  if (getAtt !== undefined) return `<GetAtt ${Array.isArray(getAtt) ? getAtt.join('.') : getAtt}>`;
  return `<${JSON.stringify(intrinsic).replace(/["\\]/g, '')}>`;
}

/**
 * The definition of a canary's state machine, resolved without synthesizing the whole stack
 * (CloudFormation gets the same Fn::Join).
 */
export function definitionOf(canary: CanaryDeployment): any {
  const cfn = canary.stateMachine.node.defaultChild as sfn.CfnStateMachine;
  return parseCfnJson(Stack.of(canary).resolve(cfn.definitionString));
}

/** One step of the plan, as the state machine holds it. */
export interface PlannedStep {
  readonly index: number;
  readonly percent: number;
  readonly livePercent: number;
  readonly percentText: string;
  /** The index of the last alarm poll of the bake: polls - 1. */
  readonly lastPoll: number;
  readonly approvalBefore: boolean;
  readonly last: boolean;
}

/** The plan of a definition. */
export function planOf(definition: any): PlannedStep[] {
  return definition.States.PlanSteps.Result.steps;
}

/** The class, path and problems of a MicroservicesValidationError, or a failure. */
export interface CanaryRefusal {
  readonly className: string;
  readonly path: string;
  readonly problems: string[];
  readonly message: string;
}

/**
 * Checks `err` is our MicroservicesValidationError "`CanaryDeployment` at <path>: ..." and that
 * every problem names, in backticks, a prop of `props` (a prop with an index or member counts:
 * `steps[2]`, `serviceProps.port`). Returns the error's parts.
 */
export function expectCanaryRefusal(err: unknown, path: string, props: string[]): CanaryRefusal {
  if (!(err instanceof Error) || err.name !== 'MicroservicesValidationError') {
    const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err);
    throw new Error(`expected a MicroservicesValidationError of CanaryDeployment at ${path}, got ${detail}`);
  }
  const match = /^`(\w+)` at ([^\s:][^:]*):[ \n]([\s\S]+)$/.exec(err.message);
  if (!match || match[1] !== 'CanaryDeployment' || match[2] !== path) {
    throw new Error(`expected "\`CanaryDeployment\` at ${path}: ...", got: ${err.message}`);
  }
  const problems = (err as unknown as { problems: string[] }).problems;
  if (!Array.isArray(problems) || problems.length === 0) throw new Error(`the error lists no problem: ${err.message}`);
  for (const problem of problems) {
    const named = [...problem.matchAll(/`([A-Za-z][A-Za-z0-9]*)(?:[.[][^`]*)?(?::[^`]*)?`/g)].map((m) => m[1]);
    if (!named.some((name) => props.includes(name))) {
      throw new Error(`the problem names none of ${props.join(', ')} in backticks: ${problem}\n(message: ${err.message})`);
    }
  }
  return { className: match[1], path: match[2], problems, message: err.message };
}

/** Runs `build`; returns the error it threw, or undefined (the shared helper of ../error-contract.ts). */
export { attempt as thrownBy } from '../error-contract';
