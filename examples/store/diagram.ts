/**
 * A picture of the reference store, drawn from what the apps synthesize: its construct tree
 * (which of the library's constructs exist, and what each one owns) and the resources of its
 * templates (the references in a service's variables and its task role's policies say what it
 * uses). `npx projen example` writes it to docs/diagram/store.svg; CI fails when the committed
 * file is not the one the build draws, so it cannot drift from the code.
 *
 * The layout is Graphviz's (dot), compiled to WebAssembly (@viz-js/viz, pinned): the same
 * graph gives the same SVG on every machine, with no system package and no browser.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, CfnResource, Stack, aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_iam as iam, aws_ssm as ssm } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  CanaryDashboard, CanaryDeployment, ComplianceAlerts, ComplianceAudit, ComplianceRules, EnvironmentDashboard, EventSubscription, EventTopic,
  MicroserviceEnvironment, PrivateLinkConsumer, PrivateLinkExposure, ServiceDashboard, TwelveFactorService,
} from '../../src';
// What `fromLookup` and `fromEventTopicAttributes` return (not exported: their interfaces are).
import { ImportedMicroserviceEnvironment } from '../../src/environment/imported-environment';
import { ImportedEventTopic } from '../../src/messaging/imported-event-topic';

/** What a box of the diagram stands for: its colour follows the AWS architecture icons' groups. */
export type NodeKind = 'environment' | 'service' | 'canary' | 'route' | 'topic' | 'queue' | 'link' | 'compliance' | 'data' | 'dashboards';

/** A box: a construct of the library (or a resource a service uses), in its stack. */
export interface DiagramNode {
  /** The construct path (stable across runs). */
  readonly id: string;
  readonly kind: NodeKind;
  /** The first line is the title. */
  readonly lines: string[];
  /** The path of the stack it is in (a cluster of the diagram). */
  readonly stack: string;
  /** The canary it is part of (its slots and its weighted record are drawn together). */
  readonly group?: string;
}

/** An arrow. */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** Between two apps: what one app reads of another's at synth or deploy time. */
  readonly acrossApps: boolean;
  /** Placement only (runs in): drawn dashed and grey. */
  readonly weak?: boolean;
}

/** The graph of the store: stacks (grouped by app), boxes and arrows. */
export interface StoreGraph {
  readonly apps: Array<{ name: string; stacks: Array<{ path: string; name: string; resources: number }> }>;
  readonly nodes: DiagramNode[];
  readonly edges: DiagramEdge[];
}

/** An app of the store, by name. */
export interface DiagramApp {
  readonly name: string;
  readonly app: App;
}

/** The resources a service's variables or role may name that are drawn as boxes of their own. */
const DATA_TYPES: Record<string, string> = {
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::RDS::DBCluster': 'Aurora cluster',
  'AWS::RDS::DBInstance': 'RDS instance',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::ECR::Repository': 'ECR repository',
  'AWS::ElastiCache::ReplicationGroup': 'ElastiCache',
};

/** Collects the graph of the store's apps. */
export function storeGraph(apps: ReadonlyArray<DiagramApp>): StoreGraph {
  return new GraphBuilder(apps).build();
}

class GraphBuilder {
  private readonly nodes = new Map<string, DiagramNode>();
  private readonly edges = new Map<string, DiagramEdge>();
  /** The construct a box stands for -> its id. */
  private readonly boxes = new Map<IConstruct, string>();
  /** `<stack path>|<logical id>` -> the L1 resource. */
  private readonly resources = new Map<string, CfnResource>();
  private readonly appOf = new Map<IConstruct, string>();
  /** Each stack's synthesized template. */
  private readonly templates = new Map<Stack, any>();

  constructor(private readonly apps: ReadonlyArray<DiagramApp>) {}

  public build(): StoreGraph {
    const all = this.apps.flatMap((a) => a.app.node.findAll().map((c) => {
      this.appOf.set(c, a.name);
      return c;
    }));
    for (const a of this.apps) {
      // The assembly the app already synthesized (synth() returns it again).
      const assembly = a.app.synth();
      for (const s of a.app.node.findAll().filter((c): c is Stack => Stack.isStack(c))) {
        this.templates.set(s, assembly.getStackArtifact(s.artifactId).template);
      }
    }
    for (const c of all) {
      if (CfnResource.isCfnResource(c)) this.resources.set(`${Stack.of(c).node.path}|${Stack.of(c).getLogicalId(c)}`, c);
    }
    // Boxes first (the library's constructs), then the arrows between them.
    for (const c of all) this.box(c);
    this.dashboards(all);
    for (const c of all) this.wire(c);
    return {
      apps: this.apps.map((a) => ({
        name: a.name,
        stacks: a.app.node.findAll().filter((c): c is Stack => Stack.isStack(c)).map((s) => ({
          path: s.node.path,
          name: s.stackName,
          resources: s.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === s).length,
        })),
      })),
      nodes: [...this.nodes.values()],
      edges: [...this.edges.values()].sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`)),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Boxes
  // -------------------------------------------------------------------------------------------

  private add(c: IConstruct, kind: NodeKind, lines: string[], group?: IConstruct): void {
    const id = c.node.path;
    this.boxes.set(c, id);
    this.nodes.set(id, { id, kind, lines, stack: Stack.of(c).node.path, group: group?.node.path });
  }

  private box(c: IConstruct): void {
    if (c instanceof MicroserviceEnvironment) {
      const nat = count(c, 'AWS::EC2::NatGateway');
      const endpoints = count(c, 'AWS::EC2::VPCEndpoint');
      const cidr = cfnOf(c, 'AWS::EC2::VPC')?.cidrBlock;
      this.add(c, 'environment', [
        `environment ${c.environmentName ?? Stack.of(c).stackName}`,
        `VPC ${typeof cidr === 'string' ? `${cidr}, ` : ''}${c.vpc.availabilityZones.length} AZs`,
        nat > 0 ? `${nat} NAT gateway${nat > 1 ? 's' : ''}` : `no NAT: ${endpoints} VPC endpoints`,
        `ECS cluster, Cloud Map ${c.namespaceName}`,
        ...(count(c, 'AWS::ElasticLoadBalancingV2::LoadBalancer') > 0 ? ['shared HTTPS load balancer'] : []),
        ...(count(c, 'AWS::WAFv2::WebACL') > 0 ? ['AWS WAF web ACL'] : []),
        'KMS key, alarm topic',
        ...(c.environmentName ? ['published for team apps (SSM)'] : []),
      ]);
    } else if (c instanceof CanaryDeployment) {
      const minutes = Math.round(c.plannedDuration.toMinutes({ integral: false }));
      this.add(c, 'canary', [
        `canary ${c.canaryName}`,
        'Step Functions rollout',
        `${c.steps.length} steps, about ${minutes} min`,
        'state in DynamoDB, rollback alarms',
        'npx cdk-microservices rollout',
      ], c);
      this.nodes.set(`${c.node.path}#record`, {
        id: `${c.node.path}#record`,
        kind: 'route',
        lines: [recordName(c), 'Route 53 weighted records'],
        stack: Stack.of(c).node.path,
        group: c.node.path,
      });
    } else if (c instanceof TwelveFactorService) {
      const canary = c.node.scope instanceof CanaryDeployment ? c.node.scope : undefined;
      const slot = canary ? (canary.blue === c ? 'blue' : 'green') : undefined;
      this.add(c, 'service', [
        slot ? `${slot} slot: service ${c.serviceName}` : `service ${c.serviceName}`,
        ...serviceLines(c, slot !== undefined),
      ], canary);
    } else if (c instanceof EventTopic) {
      this.add(c, 'topic', [`topic ${c.name}`, `SNS${c.fifo ? ' FIFO' : ''}, KMS`]);
    } else if (c instanceof EventSubscription) {
      const filtered = c.filterPolicyScope ? `, filter on the ${c.filterPolicyScope === 'MessageBody' ? 'body' : 'attributes'}` : '';
      this.add(c, 'queue', [`queue of ${c.service.serviceName}`, `SQS + dead-letter queue${filtered}`]);
    } else if (c instanceof PrivateLinkExposure) {
      this.add(c, 'link', ['PrivateLink endpoint service', `internal NLB, ${c.protocol.toUpperCase()} :${c.port}`, 'allowed principals and clients only']);
    } else if (c instanceof PrivateLinkConsumer) {
      this.add(c, 'link', [`interface endpoint ${c.node.id}`, `PrivateLink consumer, :${c.port}`]);
    } else if (c instanceof ComplianceRules) {
      const remediations = c.remediations;
      const automatic = remediations.filter((r) => r.automatic === true).length;
      this.add(c, 'compliance', [
        `AWS Config rules (${c.rules.length})`,
        `${remediations.length} remediations, ${automatic} automatic`,
      ]);
    } else if (c instanceof ComplianceAudit) {
      this.add(c, 'compliance', ['compliance audit', 'EventBridge -> Firehose -> S3', 'every compliance change kept']);
    } else if (c instanceof ComplianceAlerts) {
      this.add(c, 'compliance', ['compliance alerts', `EventBridge -> SNS${c.emails.length ? ' (email)' : ''}${c.queue ? ' -> SQS' : ''}`]);
    }
  }

  /** One box per stack listing its dashboards (no arrows: they read metrics of everything). */
  private dashboards(all: IConstruct[]): void {
    const byStack = new Map<Stack, string[]>();
    for (const c of all) {
      const kind = c instanceof ServiceDashboard ? 'service' : c instanceof CanaryDashboard ? 'canary' : c instanceof EnvironmentDashboard ? 'environment' : undefined;
      if (!kind) continue;
      const name = ((c as ServiceDashboard).dashboard.node.defaultChild as cloudwatch.CfnDashboard).dashboardName;
      const list = byStack.get(Stack.of(c)) ?? [];
      list.push(`${name ?? c.node.id} (${kind})`);
      byStack.set(Stack.of(c), list);
    }
    for (const [stack, list] of byStack) {
      const id = `${stack.node.path}#dashboards`;
      this.nodes.set(id, { id, kind: 'dashboards', lines: ['CloudWatch dashboards', ...list], stack: stack.node.path });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Arrows
  // -------------------------------------------------------------------------------------------

  private edge(from: string, to: string, label: string, weak = false): void {
    if (from === to) return;
    const key = `${from}>${to}`;
    const existing = this.edges.get(key);
    if (existing && existing.label !== label && !existing.label.split(', ').includes(label)) {
      this.edges.set(key, { ...existing, label: `${existing.label}, ${label}` });
      return;
    }
    if (existing) return;
    const app = (id: string) => this.appOfNode(id);
    this.edges.set(key, { from, to, label, acrossApps: app(from) !== app(to), weak });
  }

  private appOfNode(id: string): string | undefined {
    for (const [c, boxId] of this.boxes) if (boxId === id) return this.appOf.get(c);
    const node = this.nodes.get(id);
    for (const [c, name] of this.appOf) if (node && c.node.path === node.stack) return name;
    return undefined;
  }

  private wire(c: IConstruct): void {
    if (c instanceof TwelveFactorService) {
      const env = this.environmentBox(c.environment);
      if (env) this.edge(this.boxes.get(c)!, env, 'runs in', true);
      this.uses(c);
    } else if (c instanceof CanaryDeployment) {
      const id = this.boxes.get(c)!;
      const record = `${id}#record`;
      for (const slot of c.slots) {
        this.edge(id, this.boxes.get(slot)!, 'deploys');
        this.edge(record, this.boxes.get(slot)!, 'weight');
      }
      this.edge(id, record, 'shifts weights');
      if (c.pushRule) {
        for (const target of this.referenced(c.pushRule.node.defaultChild as CfnResource)) {
          const repository = this.dataBox(target);
          if (repository) this.edge(repository, id, 'an image pushed starts a rollout');
        }
      }
    } else if (c instanceof EventTopic || c instanceof ImportedEventTopic) {
      const topic = this.topicBox(c);
      if (!topic) return;
      for (const publisher of c.publishers) if (this.boxes.has(publisher)) this.edge(this.boxes.get(publisher)!, topic, 'publishes');
    } else if (c instanceof EventSubscription) {
      const topic = this.topicBox(c.topic);
      const queue = this.boxes.get(c)!;
      if (topic) this.edge(topic, queue, c.filterPolicyScope ? 'delivers (filtered)' : 'delivers');
      if (this.boxes.has(c.service)) this.edge(queue, this.boxes.get(c.service)!, 'consumes');
    } else if (c instanceof PrivateLinkExposure) {
      if (this.boxes.has(c.service)) this.edge(this.boxes.get(c)!, this.boxes.get(c.service)!, 'forwards to');
    } else if (c instanceof PrivateLinkConsumer) {
      const exposure = this.exposureBox(c);
      if (exposure) this.edge(this.boxes.get(c)!, exposure.id, `connects (service name read from SSM ${exposure.parameter})`);
    } else if (c instanceof ComplianceRules) {
      const rules = this.boxes.get(c)!;
      for (const [other, id] of this.boxes) {
        if (other instanceof ComplianceAudit && Stack.of(other) === Stack.of(c)) this.edge(rules, id, 'every change');
        if (other instanceof ComplianceAlerts && Stack.of(other) === Stack.of(c)) this.edge(rules, id, 'NON_COMPLIANT');
      }
    }
  }

  /** What a service's variables and task role name: the resources it uses. */
  private uses(service: TwelveFactorService): void {
    const self = this.boxes.get(service)!;
    const policy = service.taskRole.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const actionsOn = new Map<string, string[]>();
    const onAny: string[] = [];
    if (policy) {
      const cfn = policy.node.defaultChild as CfnResource;
      for (const statement of this.propertiesOf(cfn).PolicyDocument.Statement) {
        if ([statement.Resource].flat().includes('*')) onAny.push(...[statement.Action].flat());
        for (const target of refsIn(statement.Resource)) {
          const key = `${Stack.of(cfn).node.path}|${target}`;
          actionsOn.set(key, [...actionsOn.get(key) ?? [], ...[statement.Action].flat()]);
        }
      }
    }
    // The task definition's variables and secrets (what the code is told of), the role's grants.
    const targets = new Set<string>([...this.referenced(service.taskDefinition.node.defaultChild as CfnResource), ...actionsOn.keys()]);
    // The boxes it uses, with the actions its role has on what each owns.
    const used = new Map<string, string[]>();
    const ancestors = new Set(service.node.scopes.map((c) => this.boxes.get(c)).filter((id) => id !== undefined));
    for (const key of [...targets].sort()) {
      const resource = this.resources.get(key);
      if (!resource) continue;
      const owner = this.ownerBox(resource) ?? this.dataBox(key);
      // Not itself, not what it is part of (a canary's slot), not the environment it runs in.
      if (!owner || ancestors.has(owner) || this.nodes.get(owner)?.kind === 'environment') continue;
      used.set(owner, [...used.get(owner) ?? [], ...actionsOn.get(key) ?? []]);
    }
    // What its security group may reach (an interface endpoint, a database): ingress rules whose
    // source is the service's security group.
    const group = service.securityGroup.node.defaultChild as CfnResource | undefined;
    if (group) {
      const stack = Stack.of(group);
      const groupId = stack.getLogicalId(group);
      for (const [logicalId, r] of Object.entries<any>(this.templates.get(stack).Resources)) {
        if (r.Type !== 'AWS::EC2::SecurityGroupIngress' || !refsIn(r.Properties.SourceSecurityGroupId).includes(groupId)) continue;
        for (const target of refsIn(r.Properties.GroupId)) {
          const resource = this.resources.get(`${stack.node.path}|${target}`);
          const owner = resource && this.ownerBox(resource);
          if (owner && !ancestors.has(owner) && this.nodes.get(owner)?.kind !== 'environment' && logicalId) used.set(owner, used.get(owner) ?? []);
        }
      }
    }
    // Remediation is started on rules by name (no resource type narrower than *).
    if (onAny.includes('config:StartRemediationExecution')) {
      for (const [c, id] of this.boxes) {
        if (c instanceof ComplianceRules && Stack.of(c) === Stack.of(service)) used.set(id, [...used.get(id) ?? [], 'config:StartRemediationExecution']);
      }
    }
    for (const [owner, actions] of used) {
      const verb = verbOf(actions);
      if (verb === 'consumes') this.edge(owner, self, verb);
      else this.edge(self, owner, verb);
    }
  }

  /** The properties of an L1 resource as its stack's template has them. */
  private propertiesOf(resource: CfnResource): any {
    const stack = Stack.of(resource);
    return this.templates.get(stack).Resources[stack.getLogicalId(resource)].Properties ?? {};
  }

  /** The `<stack path>|<logical id>` of every resource an L1's properties refer to. */
  private referenced(resource: CfnResource): string[] {
    return refsIn(this.propertiesOf(resource)).map((id) => `${Stack.of(resource).node.path}|${id}`);
  }

  /** The box that owns an L1 resource: its nearest ancestor drawn as a box. */
  private ownerBox(resource: CfnResource): string | undefined {
    for (let c: IConstruct | undefined = resource; c; c = c.node.scope) {
      const id = this.boxes.get(c);
      if (id) return id;
    }
    return undefined;
  }

  /** A box for a resource no construct of the library owns (a table, a bucket, a repository). */
  private dataBox(key: string): string | undefined {
    const resource = this.resources.get(key);
    if (!resource || !DATA_TYPES[resource.cfnResourceType] || this.ownerBox(resource)) return undefined;
    const construct = resource.node.scope!;
    if (!this.boxes.has(construct)) this.add(construct, 'data', [`${DATA_TYPES[resource.cfnResourceType]} ${construct.node.id}`]);
    return this.boxes.get(construct);
  }

  /** The environment's box: its own, or (team apps) the platform's of the same name. */
  private environmentBox(env: unknown): string | undefined {
    if (env instanceof MicroserviceEnvironment) return this.boxes.get(env);
    if (env instanceof ImportedMicroserviceEnvironment) {
      for (const [c, id] of this.boxes) if (c instanceof MicroserviceEnvironment && c.environmentName === env.environmentName) return id;
    }
    return undefined;
  }

  /** The topic's box: its own, or (team apps) the platform's topic of the same name and environment. */
  private topicBox(topic: unknown): string | undefined {
    if (topic instanceof EventTopic) return this.boxes.get(topic);
    if (topic instanceof ImportedEventTopic) {
      const nameOf = (env: unknown) => (env as { environmentName?: string } | undefined)?.environmentName;
      for (const [c, id] of this.boxes) {
        if (c instanceof EventTopic && c.name === topic.name && nameOf(c.bus.environment) === nameOf(topic.environment)) return id;
      }
    }
    return undefined;
  }

  /**
   * The exposure a consumer connects to: its endpoint service name is an SSM parameter read at
   * deploy time, which another app's stack writes with its exposure's service name.
   */
  private exposureBox(consumer: PrivateLinkConsumer): { id: string; parameter: string } | undefined {
    const stack = Stack.of(consumer);
    const ref = stack.resolve(consumer.exposure.endpointServiceName);
    const read = ref && typeof ref === 'object' && 'Ref' in ref
      ? stack.node.findAll().find((c): c is CfnParameter => c instanceof CfnParameter && stack.getLogicalId(c) === ref.Ref)?.default
      : undefined;
    if (typeof read !== 'string') return undefined;
    for (const [c, id] of this.boxes) {
      if (!(c instanceof PrivateLinkExposure)) continue;
      const written = Stack.of(c).node.findAll().filter((p): p is ssm.CfnParameter => p instanceof ssm.CfnParameter).find((p) =>
        p.name === read && JSON.stringify(Stack.of(c).resolve(p.value)) === JSON.stringify(Stack.of(c).resolve(c.endpointServiceName)));
      if (written) return { id, parameter: read };
    }
    return undefined;
  }
}

/** The lines of a service box after its title. */
function serviceLines(s: TwelveFactorService, slot: boolean): string[] {
  const task = s.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const service = s.service.node.defaultChild as ecs.CfnService;
  const strategy = Stack.of(s).resolve(service.capacityProviderStrategy) as Array<{ capacityProvider: string }> | undefined;
  const spot = (strategy ?? []).some((p) => p.capacityProvider === 'FARGATE_SPOT');
  const adminTasks = s.node.findAll().filter((c) => c instanceof ecs.CfnTaskDefinition && c !== task).length;
  return [
    `Fargate ${task.cpu} CPU / ${task.memory} MiB, ${s.minTasks}-${s.maxTasks} tasks${spot ? ', Spot' : ''}`,
    ...(s.port !== undefined ? [`HTTP :${s.port}${slot ? ', own load balancer' : s.targetGroup ? ', load balancer route' : ''}`] : ['worker (no port)']),
    ...(s.cloudMapService ? [`Cloud Map ${s.discoveryName}`] : []),
    ...(s.tracing ? ['ADOT collector -> X-Ray'] : []),
    ...(adminTasks ? [`${adminTasks} admin task${adminTasks > 1 ? 's' : ''}`] : []),
  ];
}

function recordName(c: CanaryDeployment): string {
  const name = Stack.of(c).resolve(c.domainName);
  return typeof name === 'string' ? name : 'weighted record';
}

/** What a role's actions on a resource say the service does with it. */
function verbOf(actions: string[]): string {
  const has = (prefix: string) => actions.some((a) => a.startsWith(prefix));
  if (has('sqs:ReceiveMessage')) return 'consumes';
  if (has('sns:Publish')) return 'publishes';
  if (has('config:StartRemediationExecution') || has('ssm:StartAutomationExecution')) return 'starts remediation';
  if (has('dynamodb:PutItem') || has('dynamodb:UpdateItem') || has('s3:PutObject')) return 'reads, writes';
  if (has('dynamodb:') || has('s3:') || has('secretsmanager:')) return 'reads';
  return 'calls';
}

/** The logical ids a resolved CloudFormation value refers to (Ref and Fn::GetAtt). */
function refsIn(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.Ref === 'string' && !o.Ref.startsWith('AWS::')) found.push(o.Ref);
      if (Array.isArray(o['Fn::GetAtt'])) found.push(String(o['Fn::GetAtt'][0]));
      Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return [...new Set(found)];
}

function count(scope: IConstruct, type: string): number {
  return scope.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === type).length;
}

function cfnOf(scope: IConstruct, type: string): any {
  return scope.node.findAll().find((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === type);
}

// ---------------------------------------------------------------------------------------------
// DOT and SVG
// ---------------------------------------------------------------------------------------------

/** Fill and border of each kind: the AWS architecture icons' category colours, lightened. */
const STYLE: Record<NodeKind, { fill: string; line: string }> = {
  environment: { fill: '#EDE4FF', line: '#8C4FFF' }, // networking and content delivery
  route: { fill: '#EDE4FF', line: '#8C4FFF' },
  link: { fill: '#EDE4FF', line: '#8C4FFF' },
  service: { fill: '#FDEBD9', line: '#ED7100' }, // compute (containers)
  canary: { fill: '#FCE3EF', line: '#E7157B' }, // application integration (Step Functions)
  topic: { fill: '#FCE3EF', line: '#E7157B' },
  queue: { fill: '#FCE3EF', line: '#E7157B' },
  compliance: { fill: '#FCE8EA', line: '#DD344C' }, // security, identity and compliance
  data: { fill: '#F6E2F8', line: '#C925D1' }, // databases
  dashboards: { fill: '#F2F2F2', line: '#7D8998' }, // management and governance (grey: no arrows)
};

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The graph in Graphviz's DOT language: one cluster per app, inside it one per stack. */
export function toDot(graph: StoreGraph): string {
  const out: string[] = [
    'digraph store {',
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.7, compound=true, newrank=true, labelloc=t, label="The reference store (examples/store), drawn by npx projen example"];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, margin="0.16,0.06"];',
    '  edge [fontname="Helvetica", fontsize=9, color="#545B64", fontcolor="#545B64", arrowsize=0.7];',
  ];
  let cluster = 0;
  const nodeLine = (n: DiagramNode, indent: string) => {
    const style = STYLE[n.kind];
    const label = `"${n.lines.map((l) => quote(l).slice(1, -1)).join('\\n')}"`;
    out.push(`${indent}${quote(n.id)} [label=${label}, fillcolor=${quote(style.fill)}, color=${quote(style.line)}${n.kind === 'dashboards' ? ', style="rounded,filled,dashed"' : ''}];`);
  };
  for (const app of graph.apps) {
    out.push(`  subgraph cluster_${cluster++} {`, `    label=${quote(`${app.name} app`)}; style="rounded"; color="#232F3E"; fontsize=13;`);
    for (const stack of app.stacks) {
      out.push(`    subgraph cluster_${cluster++} {`, `      label=${quote(`stack ${stack.name} (${stack.resources} resources)`)}; style="rounded,dashed"; color="#7D8998"; fontsize=11;`);
      const inStack = graph.nodes.filter((n) => n.stack === stack.path);
      const groups = [...new Set(inStack.map((n) => n.group).filter((g): g is string => g !== undefined))];
      for (const group of groups) {
        const canary = inStack.find((n) => n.id === group);
        out.push(`      subgraph cluster_${cluster++} {`, `        label=${quote(`${canary ? canary.lines[0] : group}: two slots, one live`)}; style="rounded,filled"; fillcolor="#FFFFFF"; color="#E7157B"; fontsize=10;`);
        for (const n of inStack.filter((m) => m.group === group)) nodeLine(n, '        ');
        out.push('      }');
      }
      for (const n of inStack.filter((m) => m.group === undefined)) nodeLine(n, '      ');
      out.push('    }');
    }
    out.push('  }');
  }
  for (const e of graph.edges) {
    const attrs = [`label=${quote(e.label)}`];
    if (e.weak) attrs.push('style=dashed', 'color="#AAB7B8"', 'fontcolor="#AAB7B8"');
    if (e.acrossApps && !e.weak) attrs.push('color="#0972D3"', 'fontcolor="#0972D3"', 'penwidth=1.4');
    out.push(`  ${quote(e.from)} -> ${quote(e.to)} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** The DOT drawn as SVG by Graphviz (dot layout) in WebAssembly. */
export async function renderSvg(dot: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { instance } = require('@viz-js/viz') as typeof import('@viz-js/viz');
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    throw new Error(`Graphviz could not draw the store: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return result.output;
}

/** Draws the store into `file` (SVG); says whether the file changed. */
export async function writeDiagram(apps: ReadonlyArray<DiagramApp>, file: string): Promise<{ graph: StoreGraph; changed: boolean }> {
  const graph = storeGraph(apps);
  const svg = await renderSvg(toDot(graph));
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (before !== svg) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, svg);
  }
  return { graph, changed: before !== svg };
}
