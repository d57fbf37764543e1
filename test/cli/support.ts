/**
 * Test support for the operator command: captured terminals, a runtime with a virtual clock, and
 * the check of every command the command sent against AWS's API models (test/contract).
 */
import { ClientOptions, Clients, createClients } from '../../cli/aws';
import { Runtime, main } from '../../cli/main';
import { Terminal } from '../../cli/output';
import { Json, checkAnswer, commandOperation, sentCommandProblems } from '../contract/aws-models';

/** A terminal that keeps what is written. */
export interface Capture extends Terminal {
  readonly chunks: string[];
  text(): string;
}

export function capture(isTTY = false): Capture {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

/** The result of one command line. */
export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The client options the command asked for. */
  readonly clientOptions: ClientOptions[];
  readonly rt: Runtime;
}

/** Options of a run. */
export interface RunOptions {
  /** The clients (default: the real SDK clients, which aws-sdk-client-mock intercepts). */
  readonly clients?: (options: ClientOptions) => Clients;
  readonly tty?: boolean;
  readonly env?: { [name: string]: string | undefined };
  /** The virtual clock (ms), advanced by sleep. */
  readonly clock?: { ms: number };
}

/** Runs `npx cdk-microservices <argv>` in-process. */
export async function cli(argv: string[], o: RunOptions = {}): Promise<Result> {
  const stdout = capture(o.tty ?? false);
  const stderr = capture(false);
  const clientOptions: ClientOptions[] = [];
  const clock = o.clock ?? { ms: Date.parse('2026-01-01T00:00:00Z') };
  const rt: Runtime = {
    clients: (options) => {
      clientOptions.push(options);
      return (o.clients ?? createClients)(options);
    },
    stdout,
    stderr,
    env: o.env ?? {},
    now: () => clock.ms,
    sleep: async (ms) => {
      clock.ms += ms;
    },
    random: () => 'a1b2c3',
  };
  const code = await main(argv, rt);
  return { code, stdout: stdout.text(), stderr: stderr.text(), clientOptions, rt };
}

/** The service, by the v3 package's command class name prefix. */
export interface SentCommand {
  readonly service: string;
  readonly command: { constructor: { name: string }; input: Json };
}

/** The AWS API operation of a command (`DescribeExecutionCommand` -> `DescribeExecution`). */
export const operation = commandOperation;

/** The problems of the commands sent, checked against the services' API models. */
export function checkSent(sent: SentCommand[]): string[] {
  return sent.flatMap(({ service, command }) => sentCommandProblems(service, [command], service));
}

/** The problems of answers (a stand-in's), checked against the operation's output shape. */
export function checkAnswers(answers: { service: string; action: string; answer: Json }[]): string[] {
  return answers.flatMap(({ service, action, answer }) => checkAnswer({ kind: 'api', service, action, params: {}, where: `stand-in ${service} ${action}` }, answer));
}
