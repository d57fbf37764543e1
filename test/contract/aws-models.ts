/**
 * Checks AWS calls against AWS's own published API models, not against our beliefs about them.
 *
 * Sources (all offline, from npm packages):
 * - Operations, input and output shapes, members and required members: the AWS SDK for
 *   JavaScript v2 models, `node_modules/aws-sdk/apis/<prefix>-<version>.min.json` (the same
 *   models every AWS SDK is generated from).
 * - Enum values: the v2 type declarations, `node_modules/aws-sdk/clients/<id>.d.ts`, which
 *   declare each enum as `export type X = "a"|"b"|string;` and each structure as an interface
 *   (read with the TypeScript compiler API).
 * - Modeled errors: the exception classes the AWS SDK for JavaScript v3 clients export (the
 *   `.name` of an instance is the error code AWS returns).
 *
 * Three ways of spelling a call are checked:
 * - `sdk`: a Step Functions AWS SDK integration (`arn:aws:states:::aws-sdk:<svc>:<action>`).
 *   Member names are spelled as the AWS SDK for Java v2 spells them, capitalized (see
 *   {@link sfnMemberName}); errors arrive as `<JavaPrefix>.<Name>` with the `Exception` suffix
 *   always present.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 * - `optimized`: a Step Functions optimized integration (`arn:aws:states:::dynamodb:putItem`,
 *   `:::sns:publish`, `:::events:putEvents`, `:::sqs:sendMessage`): the API's own member names.
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
 * - `api`: the API's own member names, as SSM Automation `aws:executeAwsApi`, CDK's
 *   `AwsCustomResource` and the AWS SDK for JavaScript v3 take them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

/** How a call is spelled (see the file comment). */
export type CallKind = 'sdk' | 'optimized' | 'api';

/** A JSON value. */
export type Json = any;

// ---------------------------------------------------------------------------------------------
// Naming
// ---------------------------------------------------------------------------------------------

/**
 * The name Step Functions AWS SDK integrations give an API member: the AWS SDK for Java v2
 * name, capitalized.
 *
 * The Java v2 code generator (software.amazon.awssdk.codegen.internal.Utils.unCapitalize) lowers
 * the first character, then keeps lowering while the next character is a capital that is not
 * followed by a lower-case letter: a leading run of capitals is lowered except its last capital
 * when that one starts a word. Step Functions capitalizes the result. So:
 *   DNSName -> dnsName -> DnsName;  TTL -> ttl -> Ttl;  BOOL -> bool -> Bool;
 *   DBInstanceIdentifier -> dbInstanceIdentifier -> DbInstanceIdentifier;
 *   SSEKMSKeyId -> ssekmsKeyId -> SsekmsKeyId;  VPCId -> vpcId -> VpcId;
 *   RoleARN -> roleARN -> RoleARN (capitals after the first lower-case letter stay);
 *   S -> s -> S;  SS -> ss -> Ss;  ARN -> arn -> Arn.
 * The Step Functions guide gives `Equals` -> `EqualsValue` (Java reserves `equals`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 * ("Parameters in Step Functions are expressed in PascalCase"; re:Post answer on DynamoDB
 * `BOOL` -> `Bool`: https://repost.aws/questions/QUyLUoqYlGTC2m36ibrtGXSQ).
 * Not modeled: per-service renames in the Java SDK's customization files (none is known for
 * the services used here).
 */
export function sfnMemberName(apiName: string): string {
  if (apiName === 'Equals') return 'EqualsValue';
  if (apiName.length === 0) return apiName;
  const isUpper = (c: string | undefined) => c !== undefined && c >= 'A' && c <= 'Z';
  const isLower = (c: string | undefined) => c !== undefined && c >= 'a' && c <= 'z';
  let out = '';
  let i = 0;
  do {
    out += apiName.charAt(i++).toLowerCase();
  } while (i < apiName.length && isUpper(apiName.charAt(i)) && !(i < apiName.length - 1 && isLower(apiName.charAt(i + 1))));
  out += apiName.slice(i);
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/**
 * The AWS SDK for Java v2's word split and PascalCase (software.amazon.awssdk.codegen.utils.NamingUtils,
 * github.com/aws/aws-sdk-java-v2 codegen/src/main/java/software/amazon/awssdk/codegen/utils/NamingUtils.java).
 */
function javaSplitWords(text: string): string[] {
  let result = text.replace(/[^A-Za-z0-9]+/g, ' ');
  result = result.replace(/([^a-z]{2,})v([0-9]+)/g, '$1 v$2 ').replace(/([^A-Z]{2,})V([0-9]+)/g, '$1 V$2 ');
  result = result.split(/(?<=[a-z])(?=[A-Z](?:[a-zA-Z]|[0-9]))/).join(' ');
  result = result.replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  result = result.replace(/([0-9])([a-zA-Z])/g, '$1 $2');
  return result.replace(/ +/g, ' ').trim().split(' ');
}

function javaPascalCase(text: string): string {
  return javaSplitWords(text).map((w) => w.toLowerCase()).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * The Java v2 client's service name, which prefixes the error names of Step Functions AWS SDK
 * integrations (`AcmPca.ResourceNotFoundException` for serviceId "ACM PCA",
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html): the
 * model's serviceId in PascalCase without a leading Amazon/Aws or a trailing Service
 * (DefaultNamingStrategy.getServiceName, aws-sdk-java-v2 codegen/.../naming/DefaultNamingStrategy.java):
 * ECS -> Ecs, Route 53 -> Route53, DynamoDB -> DynamoDb, Config Service -> Config.
 */
export function javaServiceName(serviceId: string): string {
  let name = javaPascalCase(serviceId);
  name = name.replace(/^Amazon/, '').replace(/^Aws/, '').replace(/Service$/, '');
  return name;
}

/**
 * The Java v2 exception class of a modeled error shape (DefaultNamingStrategy.getExceptionName):
 * a trailing `Fault` becomes `Exception`, otherwise `Exception` is added when missing, and the
 * name is PascalCased word by word: InternalServiceFault -> InternalServiceException,
 * RequestLimitExceeded -> RequestLimitExceededException, KMSThrottlingException ->
 * KmsThrottlingException. Step Functions reports an AWS SDK integration's error under this class
 * name, the `Exception` suffix always there (the guide's S3 `BucketAlreadyExists` ->
 * `S3.BucketAlreadyExistsException`; unmodeled errors as the base class, `S3.S3Exception`).
 */
export function javaExceptionName(errorShape: string): string {
  if (errorShape.endsWith('Fault')) return `${javaPascalCase(errorShape.slice(0, -'Fault'.length))}Exception`;
  if (errorShape.endsWith('Exception')) return javaPascalCase(errorShape);
  return `${javaPascalCase(errorShape)}Exception`;
}

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

/** A service as the checker knows it. */
interface ServiceInfo {
  /** The AWS SDK v2 identifier (clients/<id>.d.ts, apis/metadata.json key). */
  readonly v2: string;
  /** The AWS SDK v3 package (`@aws-sdk/client-<v3>`). */
  readonly v3: string;
}

/** Services by every name the callers use for them (Step Functions ARN, SSM Automation, AwsCustomResource, v3 package). */
const SERVICES: { [name: string]: ServiceInfo } = {};
function service(names: string[], info: ServiceInfo): void {
  for (const n of names) SERVICES[n.toLowerCase()] = info;
}
service(['ecs'], { v2: 'ecs', v3: 'ecs' });
service(['route53', 'route-53'], { v2: 'route53', v3: 'route-53' });
// The Step Functions ARN says `cloudwatch`; the model's file prefix is `monitoring`.
service(['cloudwatch', 'monitoring'], { v2: 'cloudwatch', v3: 'cloudwatch' });
service(['applicationautoscaling', 'application-autoscaling', 'application-auto-scaling'],
  { v2: 'applicationautoscaling', v3: 'application-auto-scaling' });
service(['dynamodb'], { v2: 'dynamodb', v3: 'dynamodb' });
service(['sns'], { v2: 'sns', v3: 'sns' });
service(['eventbridge', 'events'], { v2: 'eventbridge', v3: 'eventbridge' });
service(['ssm'], { v2: 'ssm', v3: 'ssm' });
service(['ec2'], { v2: 'ec2', v3: 'ec2' });
// SSM Automation (boto3) says `elbv2`.
service(['elasticloadbalancingv2', 'elbv2', 'elastic-load-balancing-v2'], { v2: 'elbv2', v3: 'elastic-load-balancing-v2' });
service(['sfn', 'states', 'stepfunctions'], { v2: 'stepfunctions', v3: 'sfn' });
service(['sqs'], { v2: 'sqs', v3: 'sqs' });
service(['config', 'configservice', 'config-service'], { v2: 'configservice', v3: 'config-service' });
// Services only the integ tests' assertions call (their errors are never read, so no v3 client).
service(['firehose'], { v2: 'firehose', v3: 'firehose' });
service(['s3'], { v2: 's3', v3: 's3' });
service(['lambda'], { v2: 'lambda', v3: 'lambda' });
service(['servicediscovery'], { v2: 'servicediscovery', v3: 'servicediscovery' });
service(['iam'], { v2: 'iam', v3: 'iam' });
service(['ecr'], { v2: 'ecr', v3: 'ecr' });
service(['cloudwatchlogs', 'cloudwatch-logs', 'logs'], { v2: 'cloudwatchlogs', v3: 'cloudwatch-logs' });
// What the tracing collector calls (its errors are never read, so no v3 client).
service(['xray'], { v2: 'xray', v3: 'xray' });

/**
 * Optimized integrations the checker knows: their model, error prefix, the names of errors the
 * service does not model, and errors the integration itself raises.
 * - Modeled errors: the API's error name with the `Exception` suffix (DynamoDB
 *   `DynamoDB.ConditionalCheckFailedException`,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html), or its Java class name.
 * - Unmodeled errors: the AWS SDK for Java v1 base exception of the service,
 *   `DynamoDB.AmazonDynamoDBException` (raised so by LocalStack's emulation of the integration,
 *   retried so in public state machines), `SNS.AmazonSNSException`,
 *   `EventBridge.AmazonEventBridgeException` (the same pattern; not stated on connect-sns.html or
 *   connect-eventbridge.html: see the contract README).
 * - `EventBridge.FailedEntry`: PutEvents answered with a non-zero FailedEntryCount
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html).
 */
const OPTIMIZED: { [service: string]: { model: string; prefix: string; generic: string[]; actions: string[] } } = {
  dynamodb: { model: 'dynamodb', prefix: 'DynamoDB', generic: ['AmazonDynamoDBException'], actions: ['getItem', 'putItem', 'updateItem', 'deleteItem'] },
  sns: { model: 'sns', prefix: 'SNS', generic: ['AmazonSNSException'], actions: ['publish'] },
  events: { model: 'eventbridge', prefix: 'EventBridge', generic: ['AmazonEventBridgeException', 'FailedEntry'], actions: ['putEvents'] },
  sqs: { model: 'sqs', prefix: 'SQS', generic: ['AmazonSQSException'], actions: ['sendMessage'] },
};

/**
 * String members that optimized integrations also take as a JSON object (serialized for the call):
 * SNS `Message` (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html, the
 * waitForTaskToken example), EventBridge `Detail`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html), SQS `MessageBody`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html).
 */
const OBJECT_AS_STRING: { [key: string]: true } = {
  'sns:Publish:Message': true,
  'eventbridge:PutEvents:Detail': true,
  'sqs:SendMessage:MessageBody': true,
};

function serviceInfo(name: string): ServiceInfo {
  const info = SERVICES[name.toLowerCase()];
  if (!info) throw new Error(`aws-models: service ${name} is not known to the checker; add it to SERVICES`);
  return info;
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

type Shape = { type?: string; shape?: string; members?: { [name: string]: Shape }; required?: string[]; member?: Shape; key?: Shape; value?: Shape };
interface MinModel {
  readonly metadata: Json;
  readonly operations: { [name: string]: { input?: Shape; output?: Shape } };
  readonly shapes: { [name: string]: Shape };
}

/** A type of the v2 declarations. */
type DtsType =
  | { kind: 'struct'; members: { [name: string]: string } }
  | { kind: 'enum'; values: string[] }
  | { kind: 'list'; of: string }
  | { kind: 'map'; of: string }
  | { kind: 'scalar' };

interface Declarations {
  /** Input and output type names by operation (method) name, lower camel case. */
  readonly operations: { [method: string]: { input?: string; output?: string } };
  readonly types: { [name: string]: DtsType };
}

/** One service's model. */
export interface ServiceModel {
  readonly name: string;
  readonly min: MinModel;
  readonly dts: Declarations;
  /** Error codes the service models (v3 exception names); read from the v3 client when first asked. */
  readonly errors: Set<string>;
  readonly info: ServiceInfo;
}

const SDK_ROOT = path.dirname(require.resolve('aws-sdk/package.json'));
const SDK_VERSION: string = JSON.parse(fs.readFileSync(path.join(SDK_ROOT, 'package.json'), 'utf8')).version;
const METADATA: { [id: string]: { prefix?: string } } = JSON.parse(fs.readFileSync(path.join(SDK_ROOT, 'apis', 'metadata.json'), 'utf8'));
const models = new Map<string, ServiceModel>();

function typeName(node: ts.TypeNode | undefined): string {
  if (!node) return 'unknown';
  if (ts.isTypeReferenceNode(node)) {
    const n = node.typeName;
    return ts.isIdentifier(n) ? n.text : n.right.text;
  }
  return node.getText();
}

/** Reads the declarations of a v2 client (cached on disk per aws-sdk version: ec2.d.ts takes a second to parse). */
function declarations(id: string): Declarations {
  const cacheFile = path.join(os.tmpdir(), `cdk-microservices-contract-${SDK_VERSION}-${id}.json`);
  try {
    return JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
  } catch {
    // not cached yet
  }
  const file = path.join(SDK_ROOT, 'clients', `${id}.d.ts`);
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const result: { operations: Declarations['operations']; types: Declarations['types'] } = { operations: {}, types: {} };
  const visit = (node: ts.Node) => {
    if (ts.isClassDeclaration(node)) {
      for (const m of node.members) {
        if (!ts.isMethodDeclaration(m) || !m.name || !ts.isIdentifier(m.name)) continue;
        const params = m.parameters;
        if (params.length === 0 || params[0].name.getText() !== 'params') continue;
        const callback = params.find((p) => p.name.getText() === 'callback');
        let output: string | undefined;
        if (callback?.type && ts.isFunctionTypeNode(callback.type)) output = typeName(callback.type.parameters[1]?.type);
        result.operations[m.name.text] = { input: typeName(params[0].type), output };
      }
    } else if (ts.isInterfaceDeclaration(node)) {
      const members: { [name: string]: string } = {};
      for (const m of node.members) {
        if (ts.isPropertySignature(m) && m.name) members[m.name.getText().replace(/^"|"$/g, '')] = typeName(m.type);
      }
      result.types[node.name.text] = { kind: 'struct', members };
    } else if (ts.isTypeAliasDeclaration(node)) {
      const t = node.type;
      let type: DtsType = { kind: 'scalar' };
      if (ts.isUnionTypeNode(t) && t.types.some((u) => ts.isLiteralTypeNode(u))) {
        type = { kind: 'enum', values: t.types.filter(ts.isLiteralTypeNode).map((u) => (u.literal as ts.StringLiteral).text) };
      } else if (ts.isArrayTypeNode(t)) {
        type = { kind: 'list', of: typeName(t.elementType) };
      } else if (ts.isTypeLiteralNode(t) && t.members.length === 1 && ts.isIndexSignatureDeclaration(t.members[0])) {
        type = { kind: 'map', of: typeName(t.members[0].type) };
      }
      result.types[node.name.text] = type;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  try {
    const tmp = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(result));
    fs.renameSync(tmp, cacheFile);
  } catch {
    // a cache that cannot be written only costs time
  }
  return result;
}

/** The modeled error codes of a service: the `.name` of each exception class its v3 client exports. */
function modeledErrors(v3: string): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const client = require(`@aws-sdk/client-${v3}`) as { [name: string]: any };
  const baseKey = Object.keys(client).find((k) => /ServiceException$/.test(k) && typeof client[k] === 'function');
  if (!baseKey) throw new Error(`aws-models: @aws-sdk/client-${v3} exports no ServiceException`);
  const base = client[baseKey];
  const names = new Set<string>();
  for (const value of Object.values(client)) {
    if (typeof value !== 'function' || value === base || !(value.prototype instanceof base)) continue;
    names.add(new value({ message: '', $metadata: {} }).name);
  }
  return names;
}

/** The model of a service (any of its names), cached. */
export function model(name: string): ServiceModel {
  const info = serviceInfo(name);
  const cached = models.get(info.v2);
  if (cached) return cached;
  const prefix = METADATA[info.v2]?.prefix ?? info.v2;
  const files = fs.readdirSync(path.join(SDK_ROOT, 'apis')).filter((f) => f.startsWith(`${prefix}-`) && /^\d{4}-\d{2}-\d{2}\.min\.json$/.test(f.slice(prefix.length + 1))).sort();
  if (files.length === 0) throw new Error(`aws-models: no model for ${prefix}`);
  const min = JSON.parse(fs.readFileSync(path.join(SDK_ROOT, 'apis', files[files.length - 1]), 'utf8')) as MinModel;
  let errors: Set<string> | undefined;
  const loaded: ServiceModel = {
    name: info.v2,
    min,
    dts: declarations(info.v2),
    info,
    get errors() { return errors ??= modeledErrors(info.v3); },
  };
  models.set(info.v2, loaded);
  return loaded;
}

function resolveShape(m: ServiceModel, shape: Shape | undefined): Shape {
  if (!shape) return { type: 'structure', members: {} };
  if (shape.shape) return { ...m.min.shapes[shape.shape], ...shape, shape: undefined };
  return shape;
}

function shapeType(shape: Shape): string {
  return shape.type ?? 'string';
}

/** The operation's model name (`describeServices` -> `DescribeServices`), or undefined when the service has none. */
export function operationName(m: ServiceModel, action: string): string | undefined {
  const wanted = action.charAt(0).toUpperCase() + action.slice(1);
  return m.min.operations[wanted] ? wanted : undefined;
}

// ---------------------------------------------------------------------------------------------
// Checking parameters
// ---------------------------------------------------------------------------------------------

/** A call to check. */
export interface Call {
  readonly kind: CallKind;
  /** The service, by any of its names (`route53`, `cloudwatch`, `elbv2`, `EC2`, `events`). */
  readonly service: string;
  /** The action, in any case (`changeResourceRecordSets`, `ChangeResourceRecordSets`). */
  readonly action: string;
  readonly params: Json;
  /** Where the call is, for messages (a state name, a step name). */
  readonly where: string;
  /**
   * A value that is not known statically: a `.$` key (Step Functions), a `{{ }}` parameter (SSM
   * Automation). Given the path, returns the values it may take, when they are known (for
   * example from a Pass state's `Result`); they are then checked as well.
   */
  readonly resolve?: (expression: string) => Json[];
}

/** Whether a string is a parameter placeholder that the caller fills in at run time. */
function isPlaceholder(kind: CallKind, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (kind === 'api') return /^\s*\{\{[^}]+\}\}\s*$/.test(value);
  return false;
}

/** The problems of one call, each naming where, the member, and why. */
export function checkCall(call: Call): string[] {
  return checkAgainst(call, 'input', call.params ?? {});
}

/**
 * The problems of an answer to a call (what a stand-in returns): every key a member of the
 * operation's output (Java-style names for `sdk` calls), values of the member's type, enum values
 * listed, required output members present.
 */
export function checkAnswer(call: Call, answer: Json): string[] {
  return checkAgainst(call, 'output', answer ?? {});
}

/** The AWS API operation of an AWS SDK v3 command (`DescribeExecutionCommand` -> `DescribeExecution`). */
export function commandOperation(command: { constructor: { name: string } }): string {
  return command.constructor.name.replace(/Command$/, '');
}

/** The problems of AWS SDK v3 commands sent to `service` (a stand-in's calls), checked against its API model. */
export function sentCommandProblems(serviceName: string, commands: ReadonlyArray<SentSdkCommand>, where: string): string[] {
  return commands.flatMap((command) => {
    const action = commandOperation(command);
    return checkCall({ kind: 'api', service: serviceName, action, params: command.input, where: `${where} ${action}` });
  });
}

/** An AWS SDK v3 command as a mock records it. */
export interface SentSdkCommand {
  readonly constructor: { name: string };
  readonly input: Json;
}

/** An answer, or the name of an error, of a stand-in. */
export interface StandInAnswer {
  readonly op: string;
  readonly answer?: Json;
  readonly error?: string;
}

/**
 * The problems of what a stand-in of `service` answered: each answer in the operation's output
 * shape, each error one the service models or one of `commonErrors` (AWS errors every service
 * may raise, such as AccessDeniedException, which the models leave out).
 */
export function standInProblems(serviceName: string, answers: ReadonlyArray<StandInAnswer>, commonErrors: string[] = []): string[] {
  const errors = model(serviceName).errors;
  return answers.flatMap(({ op, answer, error }) => (error !== undefined
    ? (errors.has(error) || commonErrors.includes(error) ? [] : [`${op}: ${error} is not a ${serviceName} error`])
    : checkAnswer({ kind: 'api', service: serviceName, action: op, params: {}, where: `stand-in ${op}` }, answer)));
}

function checkAgainst(call: Call, side: 'input' | 'output', value: Json): string[] {
  const problems: string[] = [];
  let m: ServiceModel;
  try {
    m = model(call.service);
  } catch (e) {
    return [`${call.where}: ${(e as Error).message}`];
  }
  const op = operationName(m, call.action);
  if (!op) return [`${call.where}: ${m.name} has no operation ${call.action} (model ${m.min.metadata.uid})`];
  const shape = resolveShape(m, m.min.operations[op][side]);
  const dts = m.dts.operations[op.charAt(0).toLowerCase() + op.slice(1)]?.[side];
  const ctx = { m, op, call, problems };
  checkValue(ctx, shape, dts, value, side === 'input' ? op : `${op} answer`);
  return problems;
}

interface Ctx {
  readonly m: ServiceModel;
  readonly op: string;
  readonly call: Call;
  readonly problems: string[];
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function checkValue(ctx: Ctx, shape: Shape, dts: string | undefined, value: Json, at: string, member?: string): void {
  const { call, problems, m } = ctx;
  const fail = (why: string): void => {
    problems.push(`${call.where}: ${at}: ${why}`);
  };
  if (isPlaceholder(call.kind, value)) return;
  const type = shapeType(shape);
  const dtsType = dts ? m.dts.types[dts] : undefined;
  switch (type) {
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(`a structure (${dts ?? 'object'}) gets ${describeValue(value)}`);
      const members = shape.members ?? {};
      const expected = (apiName: string) => (call.kind === 'sdk' ? sfnMemberName(apiName) : apiName);
      const byKey = new Map<string, string>();
      for (const apiName of Object.keys(members)) byKey.set(expected(apiName), apiName);
      for (const [key, v] of Object.entries(value)) {
        const dynamic = call.kind !== 'api' && key.endsWith('.$');
        const name = dynamic ? key.slice(0, -2) : key;
        const apiName = byKey.get(name);
        if (apiName === undefined) {
          const sameApi = members[name] !== undefined ? ` (the API calls it ${name}; ${call.kind === 'sdk' ? `an AWS SDK integration spells it ${expected(name)}` : ''})` : '';
          const close = [...byKey.keys()].filter((k) => k.toLowerCase() === name.toLowerCase() && k !== name);
          const hint = sameApi || (close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : '');
          fail(`${name} is not a member of ${dts ?? 'the structure'}${hint}; members: ${[...byKey.keys()].join(', ')}`);
          continue;
        }
        const memberShape = resolveShape(m, members[apiName]);
        const memberDts = dtsType?.kind === 'struct' ? dtsType.members[apiName] : undefined;
        if (dynamic) {
          if (typeof v !== 'string' || !(v.startsWith('$') || v.startsWith('States.'))) {
            fail(`${key} must be a JSONPath or an intrinsic function, got ${describeValue(v)}`);
            continue;
          }
          for (const resolved of call.resolve?.(v) ?? []) checkValue(ctx, memberShape, memberDts, resolved, `${at}.${name} (from ${v})`, apiName);
          continue;
        }
        checkValue(ctx, memberShape, memberDts, v, `${at}.${name}`, apiName);
      }
      for (const req of shape.required ?? []) {
        const key = expected(req);
        if (!(key in value) && !(`${key}.$` in value)) fail(`required member ${key} is missing`);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return fail(`a list (${dts ?? 'list'}) gets ${describeValue(value)}`);
      const element = resolveShape(m, shape.member);
      const elementDts = dtsType?.kind === 'list' ? dtsType.of : undefined;
      value.forEach((v: Json, i: number) => checkValue(ctx, element, elementDts, v, `${at}[${i}]`));
      return;
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(`a map (${dts ?? 'map'}) gets ${describeValue(value)}`);
      const element = resolveShape(m, shape.value);
      const elementDts = dtsType?.kind === 'map' ? dtsType.of : undefined;
      for (const [k, v] of Object.entries(value)) {
        // A `.$` key inside a map is a dynamic value of the map's entry (Step Functions).
        if (call.kind !== 'api' && k.endsWith('.$')) continue;
        checkValue(ctx, element, elementDts, v, `${at}.${k}`);
      }
      return;
    }
    case 'string': {
      if (typeof value === 'string') {
        if (dtsType?.kind === 'enum' && !dtsType.values.includes(value)) fail(`${describeValue(value)} is not a value of ${dts}: ${dtsType.values.join(', ')}`);
        return;
      }
      if (call.kind === 'optimized' && member && OBJECT_AS_STRING[`${m.name}:${ctx.op}:${member}`] && value !== null && typeof value === 'object') return;
      return fail(`a string member (${dts ?? 'string'}) gets ${describeValue(value)}`);
    }
    case 'integer': case 'long': case 'double': case 'float':
      if (typeof value !== 'number') fail(`a number member (${type}) gets ${describeValue(value)}`);
      else if ((type === 'integer' || type === 'long') && !Number.isInteger(value)) fail(`an integer member gets ${value}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`a boolean member gets ${describeValue(value)}`);
      return;
    case 'timestamp':
      if (typeof value !== 'string' && typeof value !== 'number' && !(value instanceof Date)) fail(`a timestamp member gets ${describeValue(value)}`);
      return;
    case 'blob':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) fail(`a blob member gets ${describeValue(value)}`);
      return;
    default:
      return fail(`shape type ${type} is not checked`);
  }
}

// ---------------------------------------------------------------------------------------------
// Checking result paths
// ---------------------------------------------------------------------------------------------

/**
 * Whether a JSONPath (`$.ChangeInfo.Id`, `$.Services[0].Deployments`) exists in the output shape of
 * an operation. `sdk` calls answer with the Java-style names, like their parameters. Returns the
 * problem, or undefined.
 */
export function checkOutputPath(kind: CallKind, serviceName: string, action: string, jsonPath: string, where: string): string | undefined {
  const m = model(serviceName);
  const op = operationName(m, action);
  if (!op) return `${where}: ${m.name} has no operation ${action}`;
  let shape = resolveShape(m, m.min.operations[op].output);
  const segments = parsePath(jsonPath);
  if (!segments) return `${where}: ${jsonPath} is not a simple JSONPath the checker reads`;
  let at = '$';
  for (const seg of segments) {
    const type = shapeType(shape);
    if (typeof seg === 'number') {
      if (type !== 'list') return `${where}: ${jsonPath}: ${at} is a ${type}, not a list`;
      shape = resolveShape(m, shape.member);
      at += `[${seg}]`;
      continue;
    }
    if (type === 'map') {
      shape = resolveShape(m, shape.value);
      at += `.${seg}`;
      continue;
    }
    if (type !== 'structure') return `${where}: ${jsonPath}: ${at} is a ${type}, it has no member ${seg}`;
    const members = shape.members ?? {};
    const apiName = Object.keys(members).find((n) => (kind === 'sdk' ? sfnMemberName(n) : n) === seg);
    if (!apiName) {
      const names = Object.keys(members).map((n) => (kind === 'sdk' ? sfnMemberName(n) : n));
      return `${where}: ${jsonPath}: ${seg} is not a member of the ${op} output at ${at}; members: ${names.join(', ')}`;
    }
    shape = resolveShape(m, members[apiName]);
    at += `.${seg}`;
  }
  return undefined;
}

/** `$.a.b[0].c` as ['a', 'b', 0, 'c']; undefined for anything else (filters, wildcards, context paths). */
export function parsePath(jsonPath: string): (string | number)[] | undefined {
  if (!jsonPath.startsWith('$') || jsonPath.startsWith('$$')) return undefined;
  const out: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_:-]+)|\[(\d+)\]/y;
  let at = 1;
  while (at < jsonPath.length) {
    re.lastIndex = at;
    const match = re.exec(jsonPath);
    if (!match) return undefined;
    out.push(match[1] !== undefined ? match[1] : Number(match[2]));
    at = re.lastIndex;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking error names
// ---------------------------------------------------------------------------------------------

/**
 * The errors Step Functions itself raises, from
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export const STATES_ERRORS = [
  'States.ALL', 'States.DataLimitExceeded', 'States.ExceedToleratedFailureThreshold', 'States.HeartbeatTimeout', 'States.Http.Socket',
  'States.IntrinsicFailure', 'States.ItemReaderFailed', 'States.NoChoiceMatched', 'States.ParameterPathFailure', 'States.Permissions',
  'States.QueryEvaluationError', 'States.ResultPathMatchFailure', 'States.ResultWriterFailed', 'States.Runtime', 'States.TaskFailed',
  'States.Timeout', 'States.BranchFailed',
];

/** The names under which Step Functions reports a service's modeled errors: the `Exception` suffix always there. */
function withSuffix(name: string): string {
  return name.endsWith('Exception') ? name : `${name}Exception`;
}

/** What a Task's Resource is. */
export interface TaskResource {
  readonly kind: 'sdk' | 'optimized';
  /** The service as the ARN names it. */
  readonly service: string;
  readonly action: string;
  /** `.waitForTaskToken`, `.sync`, or ''. */
  readonly pattern: string;
}

/** Parses `arn:aws:states:::aws-sdk:<svc>:<action>[.pattern]` and `arn:aws:states:::<svc>:<action>[.pattern]`. */
export function taskResource(resource: string): TaskResource | undefined {
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(\.[A-Za-z]+)?$/.exec(resource);
  if (sdk) return { kind: 'sdk', service: sdk[1], action: sdk[2], pattern: sdk[3] ?? '' };
  const optimized = /^arn:aws[a-z-]*:states:::([a-z0-9]+):([A-Za-z0-9]+)(\.[A-Za-z]+)?$/.exec(resource);
  if (optimized) return { kind: 'optimized', service: optimized[1], action: optimized[2], pattern: optimized[3] ?? '' };
  return undefined;
}

/** The model name behind a Task resource (optimized `events` -> `eventbridge`). */
export function resourceModel(r: TaskResource): string {
  if (r.kind === 'optimized') {
    const o = OPTIMIZED[r.service];
    if (!o) throw new Error(`aws-models: the optimized integration ${r.service} is not known to the checker; add it to OPTIMIZED`);
    return o.model;
  }
  return r.service;
}

/** Every error name a Task of this resource may raise (besides States.*), for messages. */
export function errorNames(r: TaskResource): { prefix: string; modeled: string[]; generic: string[] } {
  if (r.kind === 'optimized') {
    const o = OPTIMIZED[r.service];
    const m = model(o.model);
    const modeled = new Set([...m.errors].flatMap((e) => [withSuffix(e), javaExceptionName(e)]));
    return { prefix: o.prefix, modeled: [...modeled].sort(), generic: o.generic };
  }
  const m = model(r.service);
  const p = javaServiceName(m.min.metadata.serviceId);
  // Errors the service does not model reach Step Functions as the Java SDK's base exception of
  // the service (`S3.S3Exception`, `Ecs.EcsException`), client-side failures as
  // `<Prefix>.SdkClientException` (cdklabs/construct-hub#1904: "Step Functions surfaces this as
  // `S3.S3Exception`"; `Ssm.SdkClientException` in aws-solutions-library-samples/
  // guidance-for-incremental-data-exports-from-amazon-dynamodb-to-amazon-s3#3).
  return { prefix: p, modeled: [...m.errors].map(javaExceptionName).sort(), generic: [`${p}Exception`, 'SdkClientException'] };
}

/**
 * The problems of the error names a Retrier or Catcher of a Task matches: each must be a
 * States.* error, or `<prefix>.<error>` for an error the service models (with the `Exception`
 * suffix Step Functions adds) or the generic name of errors it does not model. A Task that waits
 * for a task token may also receive any error a `SendTaskFailure` sends: names outside the
 * service's prefix are accepted there.
 */
export function checkErrorNames(resource: string, names: string[], where: string): string[] {
  const r = taskResource(resource);
  if (!r) return [`${where}: ${resource} is not a Step Functions service integration the checker reads`];
  const problems: string[] = [];
  let known: { prefix: string; modeled: string[]; generic: string[] };
  try {
    known = errorNames(r);
  } catch (e) {
    return [`${where}: ${(e as Error).message}`];
  }
  for (const name of names) {
    if (name.startsWith('States.')) {
      if (!STATES_ERRORS.includes(name)) problems.push(`${where}: ${name} is not an error Step Functions raises (${STATES_ERRORS.join(', ')})`);
      continue;
    }
    const dot = name.indexOf('.');
    const prefix = dot < 0 ? '' : name.slice(0, dot);
    const error = name.slice(dot + 1);
    if (prefix !== known.prefix) {
      if (r.pattern === '.waitForTaskToken') continue;
      problems.push(`${where}: ${name}: errors of ${resource} are named ${known.prefix}.<Error>, not ${prefix || '(no prefix)'}`);
      continue;
    }
    if (known.modeled.includes(error) || known.generic.includes(error)) continue;
    const errorShape = [...model(resourceModel(r)).errors].find((e) => e === error || withSuffix(e) === error || e === error.replace(/Exception$/, 'Fault'));
    const reported = errorShape ? (r.kind === 'sdk' ? javaExceptionName(errorShape) : withSuffix(errorShape)) : undefined;
    const hint = reported ? ` (the API's ${errorShape} reaches Step Functions as ${known.prefix}.${reported})` : '';
    problems.push(`${where}: ${name} is not an error ${resourceModel(r)} models${hint}${known.generic.length > 0
      ? `; errors it does not model arrive as ${known.generic.map((g) => `${known.prefix}.${g}`).join(' or ')}` : ''}`);
  }
  return problems;
}

/** The kind of call (and model) of a Task resource, for {@link checkCall}. */
export function callOfTask(resource: string, params: Json, where: string, resolve?: (expression: string) => Json[]): Call | undefined {
  const r = taskResource(resource);
  if (!r) return undefined;
  if (r.kind === 'optimized') {
    const o = OPTIMIZED[r.service];
    if (!o || !o.actions.includes(r.action)) return { kind: 'optimized', service: r.service, action: `${r.action} (unsupported optimized integration)`, params, where, resolve };
    return { kind: 'optimized', service: o.model, action: r.action, params, where, resolve };
  }
  return { kind: 'sdk', service: r.service, action: r.action, params, where, resolve };
}
