/**
 * The reference store as its teams would have it: three CDK apps, each its own entry point in
 * a real repository (or three), deployed on their own schedules.
 *
 * - the platform app (platform.ts): the shared environment, the bus, billing behind
 *   PrivateLink, compliance;
 * - the users app (users.ts): the users service and its canary;
 * - the workers app (workers.ts): the email and billing workers.
 *
 * The team apps synthesize from the context the platform app's deployment gives them: the
 * environment document `MicroserviceEnvironment.fromLookup` reads. Here (no AWS account) that
 * context is computed from the platform app's templates (examples/shared/environment-context.ts);
 * with an account, `cdk synth` in a team app looks it up and stores it in cdk.context.json.
 */
import * as path from 'path';
import { App, Aspects, Environment } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { BillingStack, PlatformStack } from './platform';
import { UsersStack } from './users';
import { WorkersStack } from './workers';
import { TwelveFactorChecks } from '../../src';
import { environmentContext } from '../shared/environment-context';

/** Options of `buildStore`. */
export interface StoreOptions {
  /** Where the apps synthesize: one folder per app under it. Default: a temporary folder per app. */
  readonly outdir?: string;
  /** Account and Region of every app. Default: 111111111111, us-east-1. */
  readonly env?: Required<Pick<Environment, 'account' | 'region'>>;
  /** Context every app gets. */
  readonly context?: { [key: string]: unknown };
  /** Applied to every app (synth-time twelve-factor checks). */
  readonly checks?: TwelveFactorChecks;
}

/** One app of the store: its name, the app, and (once `synth` ran) its assembly. */
export interface StoreApp {
  readonly name: string;
  readonly app: App;
  /** The SSM parameters the app reads from the platform's (synth-time lookups). */
  readonly lookups: string[];
}

/** The store's apps and their stacks. */
export interface Store {
  readonly apps: StoreApp[];
  readonly billing: BillingStack;
  readonly platform: PlatformStack;
  readonly users: UsersStack;
  readonly workers: WorkersStack;
  /** The platform app's assembly (synthesized first: the team apps' context comes from it). */
  readonly platformAssembly: cxapi.CloudAssembly;
}

const DEFAULT_ENV = { account: '111111111111', region: 'us-east-1' };

function newApp(name: string, options: StoreOptions, context: { [key: string]: unknown } = {}): App {
  const app = new App({
    outdir: options.outdir ? path.join(options.outdir, name) : undefined,
    context: { ...options.context, ...context },
  });
  if (options.checks) Aspects.of(app).add(options.checks);
  return app;
}

/** The platform app alone: what the platform team deploys first. */
export function buildPlatformApp(options: StoreOptions = {}): { app: App; billing: BillingStack; platform: PlatformStack } {
  const env = options.env ?? DEFAULT_ENV;
  const app = newApp('platform', options);
  const billing = new BillingStack(app, 'Billing', { env, consumerAccount: env.account });
  const platform = new PlatformStack(app, 'Platform', { env });
  return { app, billing, platform };
}

/** The context a team app's lookups get once the platform app is deployed. */
export function teamContext(platformAssembly: cxapi.CloudAssembly, env: { account: string; region: string }): { [key: string]: string } {
  return environmentContext(platformAssembly.stacksRecursively.map((s) => s.template), env);
}

/** The users team's app, from the context of the deployed platform. */
export function buildUsersApp(context: { [key: string]: unknown }, options: StoreOptions = {}): { app: App; users: UsersStack } {
  const app = newApp('users', options, context);
  return { app, users: new UsersStack(app, 'Users', { env: options.env ?? DEFAULT_ENV }) };
}

/** The workers team's app, from the context of the deployed platform. */
export function buildWorkersApp(context: { [key: string]: unknown }, options: StoreOptions = {}): { app: App; workers: WorkersStack } {
  const app = newApp('workers', options, context);
  return { app, workers: new WorkersStack(app, 'Workers', { env: options.env ?? DEFAULT_ENV }) };
}

/** Every app of the store: the platform app synthesized, the team apps built on its context. */
export function buildStore(options: StoreOptions = {}): Store {
  const env = options.env ?? DEFAULT_ENV;
  const { app: platformApp, billing, platform } = buildPlatformApp(options);
  const platformAssembly = platformApp.synth();
  const context = teamContext(platformAssembly, env);
  const lookups = Object.keys(context);
  const { app: usersApp, users } = buildUsersApp(context, options);
  const { app: workersApp, workers } = buildWorkersApp(context, options);
  return {
    apps: [
      { name: 'platform', app: platformApp, lookups: [] },
      { name: 'users', app: usersApp, lookups },
      { name: 'workers', app: workersApp, lookups },
    ],
    billing,
    platform,
    users,
    workers,
    platformAssembly,
  };
}
