/**
 * `cdk-microservices rollout <subcommand>`: argument parsing, help, and the exit code. The AWS
 * clients, the terminals, the clock and the sleep are injected (index.ts gives the real ones).
 */
import { ParseArgsConfig, parseArgs } from 'node:util';
import { ClientOptions, Clients } from './aws';
import { resolveCanary } from './canary';
import { CommandContext, abort, approve, history, start, status, watch } from './commands';
import { CommandEnd, EXIT, EXIT_CODES_HELP } from './exit-codes';
import { Terminal } from './output';

/** What the command runs with. */
export interface Runtime {
  readonly clients: (options: ClientOptions) => Clients;
  readonly stdout: Terminal;
  readonly stderr: Terminal;
  readonly env: { readonly [name: string]: string | undefined };
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): string;
}

const COMMON = `Canary (one of):
  --canary <name>              the canary's name, e.g. Users/users (read from the SSM parameter
                               /cdk-microservices/canaries/<name>)
  --state-machine-arn <arn> --table-name <name>
                               the rollout state machine and state table (stacks without the parameter)
Options:
  --profile <name>             AWS profile (default: AWS_PROFILE, else the default profile)
  --region <region>            AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's region)
  --json                       machine-readable output: JSON objects, one a line
  --debug                      print the stack of an unexpected error
  -h, --help                   this help`;

const USAGE: { [sub: string]: string } = {
  '': `Usage: npx cdk-microservices rollout <command> --canary <name> [options]

Operates the canary rollouts of a CanaryDeployment.

Commands:
  start --image <image> [--rollout-id <id>] [--wait]   start a rollout (refused if another runs)
  status                                               live slot, images, weights, lock, last rollout
  history [--limit <n>]                                the rollouts, newest first
  watch [--rollout-id <id>]                            follow a rollout until it ends
  approve [--rollout-id <id>]                          approve the last step of the running rollout
  abort [--reason <text>] [--rollout-id <id>]          roll the running rollout back

Run npx cdk-microservices rollout <command> --help for a command's options.

${COMMON}

${EXIT_CODES_HELP}`,
  'start': `Usage: npx cdk-microservices rollout start --canary <name> --image <image> [--rollout-id <id>] [--wait]

Starts a rollout of <image> (StartExecution of the rollout state machine). Refused before
anything starts: an image not in the canary's repository (<repository>:<tag> or
<repository>@sha256:<digest>) or that ECR does not have (exit 2); a lock held by a running
rollout (exit 13, with the holder and the command to watch it).

  --image <image>              the image to release
  --rollout-id <id>            the rollout's id (default rollout-<UTC time>-<random>); a rollout id
                               that already ran is not run again
  --wait                       watch the rollout to its end and exit with its outcome's code
  --interval <seconds>         seconds between polls with --wait (default 5)

${COMMON}

${EXIT_CODES_HELP}`,
  'status': `Usage: npx cdk-microservices rollout status --canary <name>

Shows the live slot, each slot's image and weight, the lock holder (and whether its execution
runs) and the last rollout.

${COMMON}

${EXIT_CODES_HELP}`,
  'history': `Usage: npx cdk-microservices rollout history --canary <name> [--limit <n>]

Lists the rollouts, newest first.

  --limit <n>                  at most n rollouts (default 20)

${COMMON}

${EXIT_CODES_HELP}`,
  'watch': `Usage: npx cdk-microservices rollout watch --canary <name> [--rollout-id <id>]

Follows a rollout until it ends: its step and weights, the bake time left, the new slot's alarms,
a waiting approval and the expected end; then exits with the outcome's code. On a terminal the
screen is redrawn in place; otherwise one line per change (--json: one JSON object per change).

  --rollout-id <id>            the rollout (default: the one holding the lock, else the newest)
  --interval <seconds>         seconds between polls (default 5)

${COMMON}

${EXIT_CODES_HELP}`,
  'approve': `Usage: npx cdk-microservices rollout approve --canary <name> [--rollout-id <id>]

Approves the last step of the running rollout (SendTaskSuccess to its approval request).
Nothing waits for an approval: says what the rollout does, changes nothing, exit 3.

  --rollout-id <id>            the rollout (default: the one holding the lock)

${COMMON}

${EXIT_CODES_HELP}`,
  'abort': `Usage: npx cdk-microservices rollout abort --canary <name> [--reason <text>] [--rollout-id <id>]

Rolls the running rollout back: refuses its waiting approval (SendTaskFailure
CanaryDeployment.Aborted), or asks it to abort (it rolls back at its next check). A lock left by
a rollout whose execution ended is released instead. No rollout holds the lock: exit 3.

  --reason <text>              why (the cause of a refused approval)
  --rollout-id <id>            abort only if this rollout holds the lock

${COMMON}

${EXIT_CODES_HELP}`,
};

const OPTIONS = {
  'canary': { type: 'string' },
  'state-machine-arn': { type: 'string' },
  'table-name': { type: 'string' },
  'profile': { type: 'string' },
  'region': { type: 'string' },
  'json': { type: 'boolean' },
  'debug': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const;

const SUBCOMMAND_OPTIONS = {
  start: { 'image': { type: 'string' }, 'rollout-id': { type: 'string' }, 'wait': { type: 'boolean' }, 'interval': { type: 'string' } },
  status: {},
  history: { limit: { type: 'string' } },
  watch: { 'rollout-id': { type: 'string' }, 'interval': { type: 'string' } },
  approve: { 'rollout-id': { type: 'string' } },
  abort: { 'reason': { type: 'string' }, 'rollout-id': { type: 'string' } },
} as const;

type Subcommand = keyof typeof SUBCOMMAND_OPTIONS;

function positiveNumber(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommandEnd(EXIT.usage, `--${option} ${value} is not a positive number.`);
  return n;
}

/** Runs the command line `argv` (without node and the script); returns the exit code. */
export async function main(argv: string[], rt: Runtime): Promise<number> {
  const wantsJson = argv.includes('--json');
  const debug = argv.includes('--debug');
  try {
    return await run(argv, rt);
  } catch (e) {
    if (e instanceof CommandEnd) {
      if (wantsJson) rt.stdout.write(`${JSON.stringify({ type: 'error', error: { message: e.message, ...e.details }, exitCode: e.exitCode })}\n`);
      else rt.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    const error = e as Error & { $metadata?: unknown };
    const name = error?.name ?? 'Error';
    const message = error?.message ?? String(e);
    if (wantsJson) rt.stdout.write(`${JSON.stringify({ type: 'error', error: { name, message }, exitCode: EXIT.unexpected })}\n`);
    else rt.stderr.write(`${name}: ${message}\n`);
    if (debug && error?.stack) rt.stderr.write(`${error.stack}\n`);
    return EXIT.unexpected;
  }
}

async function run(argv: string[], rt: Runtime): Promise<number> {
  const [group, sub, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || (group === 'rollout' && (sub === undefined || sub === '--help' || sub === '-h'))) {
    rt.stdout.write(`${USAGE['']}\n`);
    return group === undefined || (group === 'rollout' && sub === undefined) ? EXIT.usage : EXIT.succeeded;
  }
  if (group !== 'rollout') throw new CommandEnd(EXIT.usage, `Unknown command ${group}: the command is npx cdk-microservices rollout <command> (see --help).`);
  if (!(sub in SUBCOMMAND_OPTIONS)) throw new CommandEnd(EXIT.usage, `Unknown rollout command ${sub}: one of ${Object.keys(SUBCOMMAND_OPTIONS).join(', ')} (see --help).`);
  const subcommand = sub as Subcommand;
  let values: { [key: string]: string | boolean | undefined };
  try {
    values = parseArgs({ args: rest, options: { ...OPTIONS, ...SUBCOMMAND_OPTIONS[subcommand] } as ParseArgsConfig['options'], strict: true, allowPositionals: false }).values as typeof values;
  } catch (e) {
    throw new CommandEnd(EXIT.usage, `${(e as Error).message}\nSee npx cdk-microservices rollout ${subcommand} --help.`);
  }
  if (values.help) {
    rt.stdout.write(`${USAGE[subcommand]}\n`);
    return EXIT.succeeded;
  }
  const str = (key: string) => values[key] as string | undefined;
  const json = values.json === true;
  // Checked before any AWS call.
  if (subcommand === 'start' && !str('image')) throw new CommandEnd(EXIT.usage, 'start needs --image <image>.');
  const limit = Math.floor(positiveNumber(str('limit'), 'limit', 20));
  const intervalSeconds = positiveNumber(str('interval'), 'interval', 5);

  const clients = rt.clients({ region: str('region'), profile: str('profile') ?? rt.env.AWS_PROFILE });
  const canary = await resolveCanary(clients, { canary: str('canary'), stateMachineArn: str('state-machine-arn'), tableName: str('table-name') });
  const ctx: CommandContext = {
    clients,
    canary,
    json,
    out: rt.stdout,
    err: rt.stderr,
    redraw: !json && rt.stdout.isTTY === true,
    now: () => rt.now(),
    sleep: (ms) => rt.sleep(ms),
    random: () => rt.random(),
    intervalSeconds,
  };
  switch (subcommand) {
    case 'start': return start(ctx, { image: str('image')!, rolloutId: str('rollout-id'), wait: values.wait === true });
    case 'status': return status(ctx);
    case 'history': return history(ctx, limit);
    case 'watch': return watch(ctx, str('rollout-id'));
    case 'approve': return approve(ctx, str('rollout-id'));
    case 'abort': return abort(ctx, str('rollout-id'), str('reason'));
  }
}
