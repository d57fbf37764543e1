/**
 * Finding a canary: the SSM parameter `/cdk-microservices/canaries/<canaryName>` that the
 * `CanaryDeployment` construct writes, or a state machine ARN and table name given directly
 * (stacks deployed before the parameter existed).
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { Clients } from './aws';
import { CommandEnd, EXIT } from './exit-codes';
// The construct's own definitions (bundled in): one place says where a canary is described.
import { CANARY_PARAMETER_PREFIX, isCanaryName } from '../src/deployment/operator-contract';

/** A step of the canary's plan, as the parameter describes it. */
export interface CanaryStepInfo {
  readonly percent: number;
  readonly bakeSeconds: number;
  readonly approvalBefore: boolean;
}

/** What the command knows of a canary. */
export interface CanaryInfo {
  /** The canary's name (`Users/users`), or the state machine's name when given by ARN. */
  readonly canaryName: string;
  /** The construct path. */
  readonly label?: string;
  readonly stateMachineArn: string;
  readonly tableName: string;
  /** Unknown when the canary was given by ARN (the execution's input has the plan then). */
  readonly steps?: CanaryStepInfo[];
  readonly plannedSeconds?: number;
  readonly maximumSeconds?: number;
  readonly alarmPollSeconds?: number;
  readonly imageRepositoryUri?: string;
  /** How the command names the canary in the commands it prints (`--canary Users/users`). */
  readonly selector: string;
}

/** How the canary was given on the command line. */
export interface CanarySelection {
  readonly canary?: string;
  readonly stateMachineArn?: string;
  readonly tableName?: string;
}

/** The parameter name of a canary. */
export function parameterName(canaryName: string): string {
  return `${CANARY_PARAMETER_PREFIX}${canaryName}`;
}

/** Resolves the canary from `--canary` (SSM) or `--state-machine-arn` with `--table-name`. */
export async function resolveCanary(clients: Clients, selection: CanarySelection): Promise<CanaryInfo> {
  if (selection.canary !== undefined) {
    if (selection.stateMachineArn !== undefined || selection.tableName !== undefined) {
      throw new CommandEnd(EXIT.usage, 'Give either --canary, or --state-machine-arn with --table-name, not both.');
    }
    return fromParameter(clients, selection.canary);
  }
  if (selection.stateMachineArn !== undefined && selection.tableName !== undefined) {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(selection.stateMachineArn)) {
      throw new CommandEnd(EXIT.usage, `--state-machine-arn ${selection.stateMachineArn} is not the ARN of a state machine (arn:aws:states:<region>:<account>:stateMachine:<name>).`);
    }
    const name = selection.stateMachineArn.split(':').pop()!;
    return {
      canaryName: name,
      stateMachineArn: selection.stateMachineArn,
      tableName: selection.tableName,
      selector: `--state-machine-arn ${selection.stateMachineArn} --table-name ${selection.tableName}`,
    };
  }
  throw new CommandEnd(EXIT.usage, 'Which canary? Give --canary <name> (for example --canary Users/users), or --state-machine-arn with --table-name.');
}

async function fromParameter(clients: Clients, canaryName: string): Promise<CanaryInfo> {
  if (!isCanaryName(canaryName)) {
    throw new CommandEnd(EXIT.usage, `--canary ${canaryName} is not a canary name: 1 to 5 levels of letters, digits, '_', '.' and '-' separated by '/' (for example Users/users).`);
  }
  const name = parameterName(canaryName);
  let value: string | undefined;
  try {
    const answer = await clients.ssm.send(new GetParameterCommand({ Name: name }));
    value = answer.Parameter?.Value;
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') {
      throw new CommandEnd(EXIT.usage,
        `No canary ${canaryName}: the SSM parameter ${name} does not exist (in this account and region). `
        + 'Check --canary, --region and --profile; the canary\'s stack must be deployed with a version of cdk-microservices that writes it '
        + '(for older stacks give --state-machine-arn and --table-name).', { parameter: name });
    }
    throw e;
  }
  let doc: any;
  try {
    doc = JSON.parse(value ?? '');
  } catch {
    throw new CommandEnd(EXIT.usage, `The SSM parameter ${name} does not hold the JSON description of a canary.`, { parameter: name });
  }
  if (doc?.version !== 1 || typeof doc.stateMachineArn !== 'string' || typeof doc.tableName !== 'string') {
    throw new CommandEnd(EXIT.usage,
      `The SSM parameter ${name} describes the canary in a format this version of the command does not read (version ${JSON.stringify(doc?.version)}); update cdk-microservices.`,
      { parameter: name });
  }
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    canaryName,
    label: typeof doc.label === 'string' ? doc.label : undefined,
    stateMachineArn: doc.stateMachineArn,
    tableName: doc.tableName,
    steps: Array.isArray(doc.steps)
      ? doc.steps.map((s: any) => ({ percent: Number(s.percent), bakeSeconds: Number(s.bakeSeconds), approvalBefore: s.approvalBefore === true }))
      : undefined,
    plannedSeconds: number(doc.plannedSeconds),
    maximumSeconds: number(doc.maximumSeconds),
    alarmPollSeconds: number(doc.alarmPollSeconds),
    imageRepositoryUri: typeof doc.imageRepositoryUri === 'string' ? doc.imageRepositoryUri : undefined,
    selector: `--canary ${canaryName}`,
  };
}
