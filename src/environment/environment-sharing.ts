import { ContextProvider, Lazy, Stack, Token, aws_ec2 as ec2, aws_s3 as s3, aws_ssm as ssm, cx_api as cxapi } from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { Construct } from 'constructs';
import { ClaimProvider } from './claims';
import {
  documentParameterName, EnvironmentDocument, environmentNameProblem, parseEnvironmentDocument, placeholderDocument, publishEnvironment,
} from './environment-document';
import { IMicroserviceEnvironment } from './environment-interface';
import { ENVIRONMENT_CLASS, placementOf } from './environment-validation';
import { ImportedMicroserviceEnvironment } from './imported-environment';
import type { MicroserviceEnvironment, MicroserviceEnvironmentLookupOptions } from './microservice-environment';
import { recordPublisher, setSharing } from './sharing';
import { notificationKeyStatement } from '../exposure/connection-notifications';
import { allowAccountLoadBalancerLogs } from '../private/log-buckets';
import { Problems, show } from '../private/validation';

/** What the environment knows only once the tree is complete. */
export interface LateInputs {
  readonly endpointServices: () => string[];
  readonly webAclArn: () => string | undefined;
  readonly accessLogsBucket: () => s3.IBucket;
}

/**
 * Shares `env` with other apps (`enableTeamApps`): the claims function, then the document
 * they look up. The access-log bucket is created now, so that load balancers of other apps
 * (canary slots, PrivateLink) log where the environment's do.
 */
export function shareEnvironment(
  env: MicroserviceEnvironment, environmentName: string, late: LateInputs,
): { parameter: ssm.StringParameter; claims: ClaimProvider } {
  const claims = new ClaimProvider(env, 'Claims', {
    environmentName,
    vpc: env.vpc,
    vpcSubnets: env.serviceSubnets,
    encryptionKey: env.encryptionKey,
    logRetention: env.logRetention,
  });
  // Without a NAT gateway the function reaches SSM (and the S3 URL CloudFormation waits on)
  // through the environment's endpoints.
  if (env.endpointSecurityGroup) {
    env.endpointSecurityGroup.connections.allowFrom(claims.securityGroup, ec2.Port.tcp(443), 'HTTPS from the claims function');
  }
  setSharing(env, { environmentName, claimServiceToken: claims.serviceToken, imported: false });
  recordPublisher(env, placementOf(env), documentParameterName(environmentName));
  const bucket = late.accessLogsBucket();
  allowAccountLoadBalancerLogs(bucket, env);
  // The connection notifications of other apps' PrivateLink exposures go to topics encrypted
  // with this key, which their apps cannot change (the same statement an exposure of this app adds).
  env.encryptionKey.addToResourcePolicy(notificationKeyStatement(), true);
  const parameter = publishEnvironment(env, {
    environmentName,
    claimServiceToken: claims.serviceToken,
    endpointServices: Lazy.list({ produce: () => late.endpointServices() }, { omitEmpty: true }),
    webAclArn: Lazy.string({ produce: () => late.webAclArn() }),
    accessLogsBucketName: bucket.bucketName,
  });
  return { parameter, claims };
}

/** The value the lookup answers when the parameter does not exist. */
const MISSING = 'cdk-microservices:environment-not-found';

/** `MicroserviceEnvironment.fromLookup`. */
export function lookUpEnvironment(scope: Construct, id: string, options: MicroserviceEnvironmentLookupOptions): IMicroserviceEnvironment {
  const where = `\`fromLookup\` (id ${show(id)})`;
  if (!options || typeof options !== 'object') Problems.reject(ENVIRONMENT_CLASS, scope, `${where} needs options with the \`environmentName\``);
  const nameProblem = environmentNameProblem('environmentName', options.environmentName)
    ?? (options.environmentName === undefined ? '`environmentName` is missing; pass the name the environment was shared under' : undefined);
  if (nameProblem) Problems.reject(ENVIRONMENT_CLASS, scope, `${where}: ${nameProblem}`);
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    Problems.reject(ENVIRONMENT_CLASS, scope,
      `${where} reads an SSM parameter at synth time, so the stack ${stack.stackName} needs an explicit account and Region: give it \`env: { account, region }\`, those of the environment`);
  }
  const parameterName = documentParameterName(options.environmentName);
  const lookup = {
    provider: cxschema.ContextProvider.SSM_PARAMETER_PROVIDER,
    props: { parameterName },
  };
  const { key } = ContextProvider.getKey(scope, lookup);
  const cached: unknown = scope.node.tryGetContext(key);
  const value = ContextProvider.getValue(scope, { ...lookup, dummyValue: MISSING, mustExist: false }).value as string;
  let doc: EnvironmentDocument;
  if (cached === undefined) {
    // The first synthesis: the CDK CLI looks the parameter up, stores it in cdk.context.json
    // and synthesizes again. Until then a stand-in keeps the app building.
    doc = placeholderDocument(options.environmentName, scope);
  } else if (value === MISSING || (typeof cached === 'object' && cached !== null && cxapi.PROVIDER_ERROR_KEY in cached)) {
    Problems.reject(ENVIRONMENT_CLASS, scope,
      `${where}: there is no environment named '${options.environmentName}' in account ${stack.account}, Region ${stack.region}: the SSM parameter ${parameterName} does not exist. `
      + `Deploy the environment's app first, with \`new MicroserviceEnvironment(stack, 'Env', { enableTeamApps: true, environmentName: '${options.environmentName}' })\` in this account and Region, `
      + `then run \`cdk context --reset "${key}"\` so that this app looks it up again`);
  } else {
    const parsed = parseEnvironmentDocument(String(value), parameterName);
    if (!parsed.doc) Problems.throwAll(ENVIRONMENT_CLASS, scope, parsed.problems.map((problem) => `${where}: ${problem}`));
    doc = parsed.doc!;
    if (doc.account !== stack.account || doc.region !== stack.region) {
      Problems.reject(ENVIRONMENT_CLASS, scope,
        `${where}: the environment '${options.environmentName}' lives in account ${doc.account}, Region ${doc.region}, not in those of the stack ${stack.stackName} (${stack.account}, ${stack.region}); deploy services in the environment's account and Region`);
    }
  }
  return new ImportedMicroserviceEnvironment(scope, id, doc!);
}
