/**
 * The picture of the store (examples/store/diagram.ts): a box for each of the library's
 * constructs the apps create, the arrows the construct tree and the templates say (who
 * publishes, which queue feeds which worker, what a service's role and variables name, what
 * one app reads of another's), and an SVG that is the same on every run. CI fails when the
 * build changes the committed docs/diagram/store.svg (`git diff --exit-code` in .ci/run).
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_sns as sns } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { DiagramEdge, renderSvg, storeGraph, StoreGraph, toDot } from '../../examples/store/diagram';
import { buildStore } from '../../examples/store/store';
import {
  CanaryDeployment, ComplianceAlerts, ComplianceAudit, ComplianceRules, EventSubscription, EventTopic, MessageBus, MicroserviceEnvironment,
  PrivateLinkConsumer, PrivateLinkExposure, TwelveFactorService,
} from '../../src';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const CONTEXT = { 'aws:cdk:disable-creation-stack-traces': true };
const store = buildStore({ context: CONTEXT });
for (const a of store.apps) a.app.synth();
const graph = storeGraph(store.apps);

function edge(g: StoreGraph, from: string, to: string): DiagramEdge | undefined {
  return g.edges.find((e) => e.from === from && e.to === to);
}

function all(): IConstruct[] {
  return store.apps.flatMap((a) => a.app.node.findAll());
}

describe('the store\'s graph', () => {
  test('a box for every environment, service (a canary\'s slots too), canary, topic, subscription, PrivateLink end and compliance construct', () => {
    const kinds = [MicroserviceEnvironment, TwelveFactorService, CanaryDeployment, EventTopic, EventSubscription, PrivateLinkExposure,
      PrivateLinkConsumer, ComplianceRules, ComplianceAudit, ComplianceAlerts];
    const constructs = all().filter((c) => kinds.some((k) => c instanceof k)).map((c) => c.node.path).sort();
    // The store has each kind.
    for (const k of kinds) expect([k.name, all().some((c) => c instanceof k)]).toEqual([k.name, true]);
    const boxes = new Set(graph.nodes.map((n) => n.id));
    for (const id of constructs) expect([id, boxes.has(id)]).toEqual([id, true]);
    // And the resources services use that no construct of the library owns: the users table,
    // the image repository whose pushes start rollouts.
    expect(graph.nodes.filter((n) => n.kind === 'data').map((n) => n.lines[0]).sort()).toEqual(['DynamoDB table Users', 'ECR repository UsersImages']);
  });

  test('each stack is a cluster in its app, labelled with its template\'s resource count', () => {
    expect(graph.apps.map((a) => [a.name, a.stacks.map((s) => s.name)])).toEqual([
      ['platform', ['Billing', 'Platform']], ['users', ['Users']], ['workers', ['Workers']],
    ]);
    for (const a of store.apps) {
      const assembly = a.app.synth();
      for (const s of graph.apps.find((g) => g.name === a.name)!.stacks) {
        expect([s.name, s.resources]).toEqual([s.name, Object.keys(assembly.getStackByName(s.name).template.Resources).length]);
      }
    }
  });

  test('across apps: the platform\'s topic feeds the workers app\'s queues, the users slots publish to it, team services run in the platform\'s environment', () => {
    for (const worker of ['EmailWorker', 'BillingWorker']) {
      expect(edge(graph, 'Platform/Bus/user-signup', `Workers/${worker}/Signups`)).toMatchObject({ acrossApps: true });
      expect(edge(graph, `Workers/${worker}/Signups`, `Workers/${worker}`)).toMatchObject({ label: 'consumes', acrossApps: false });
      expect(edge(graph, `Workers/${worker}`, 'Platform/Env')).toMatchObject({ label: 'runs in', weak: true, acrossApps: true });
    }
    // Only the billing worker's subscription filters.
    expect(edge(graph, 'Platform/Bus/user-signup', 'Workers/BillingWorker/Signups')!.label).toBe('delivers (filtered)');
    expect(edge(graph, 'Platform/Bus/user-signup', 'Workers/EmailWorker/Signups')!.label).toBe('delivers');
    for (const slot of ['Blue', 'Green']) {
      expect(edge(graph, `Users/UsersCanary/${slot}`, 'Platform/Bus/user-signup')).toMatchObject({ label: 'publishes', acrossApps: true });
      expect(edge(graph, `Users/UsersCanary/${slot}`, 'Platform/Env')).toMatchObject({ weak: true });
    }
  });

  test('the users app reaches billing through PrivateLink: its endpoint connects to the exposure whose service name the Billing stack writes to SSM', () => {
    expect(edge(graph, 'Users/Billing', 'Billing/BillingLink')).toMatchObject({
      label: 'connects (service name read from SSM /store/billing/endpoint-service-name)',
      acrossApps: true,
    });
    expect(edge(graph, 'Billing/BillingLink', 'Billing/Billing')!.label).toBe('forwards to');
    // The slots may reach the endpoint (its security group admits theirs).
    for (const slot of ['Blue', 'Green']) expect(edge(graph, `Users/UsersCanary/${slot}`, 'Users/Billing')!.label).toBe('calls');
  });

  test('what the templates say a service does: its role\'s grants and variables', () => {
    for (const slot of ['Blue', 'Green']) expect(edge(graph, `Users/UsersCanary/${slot}`, 'Users/Users')!.label).toBe('reads, writes');
    expect(edge(graph, 'Platform/ComplianceAlerts', 'Platform/ComplianceWorker')!.label).toBe('consumes');
    expect(edge(graph, 'Platform/ComplianceWorker', 'Platform/ComplianceRules')!.label).toBe('starts remediation');
    // A slot uses what its canary owns (the live state) without an arrow to the canary.
    expect(edge(graph, 'Users/UsersCanary/Blue', 'Users/UsersCanary')).toBeUndefined();
    expect(edge(graph, 'Users/UsersImages', 'Users/UsersCanary')!.label).toBe('an image pushed starts a rollout');
  });

  test('the boxes say what the constructs are: the environments\' NAT or endpoints, tracing, Spot, the canary\'s steps', () => {
    const lines = (id: string) => graph.nodes.find((n) => n.id === id)!.lines;
    expect(lines('Billing/Env')).toContain('no NAT: 9 VPC endpoints');
    expect(lines('Platform/Env')).toEqual(expect.arrayContaining(['1 NAT gateway', 'published for team apps (SSM)']));
    expect(lines('Workers/EmailWorker')).toEqual(expect.arrayContaining(['Fargate 512 CPU / 1024 MiB, 0-4 tasks, Spot', 'ADOT collector -> X-Ray']));
    // Traced without a NAT gateway (its collector's image mirrored by a pull-through cache).
    expect(lines('Billing/Billing')).toContain('ADOT collector -> X-Ray');
    expect(lines('Users/UsersCanary')[2]).toBe(`${store.users.users.steps.length} steps, about 20 min`);
    expect(lines('Platform/ComplianceRules')[0]).toBe(`AWS Config rules (${store.platform.complianceRules.rules.length})`);
  });
});

describe('a graph follows the app it is drawn from', () => {
  function app(subscribe: boolean) {
    const a = new App({ context: CONTEXT });
    const stack = new Stack(a, 'Shop', { env: { account: '111111111111', region: 'us-east-1' } });
    const env = new MicroserviceEnvironment(stack, 'Env', { environmentName: 'shop', enableTeamApps: true });
    const bus = new MessageBus(stack, 'Bus', { environment: env });
    const orders = bus.addTopic('order-placed');
    const api = new TwelveFactorService(stack, 'Api', { environment: env, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/api:1'), port: 8080, user: '1000' });
    api.attach(orders.asBackingService());
    const mailer = new TwelveFactorService(stack, 'Mailer', { environment: env, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/x/mailer:1'), user: '1000' });
    if (subscribe) orders.subscribe(mailer, { filterPolicy: { kind: sns.SubscriptionFilter.stringFilter({ allowlist: ['"quoted"'] }) } });
    a.synth();
    return storeGraph([{ name: 'shop', app: a }]);
  }

  test('a subscription adds its queue between the topic and the worker; without it there is no queue and no arrow', () => {
    const withSub = app(true);
    expect(edge(withSub, 'Shop/Api', 'Shop/Bus/order-placed')!.label).toBe('publishes');
    const queues = withSub.nodes.filter((n) => n.kind === 'queue');
    expect(queues.map((q) => q.lines[0])).toEqual(['queue of mailer']);
    expect(edge(withSub, 'Shop/Bus/order-placed', queues[0].id)!.label).toBe('delivers (filtered)');
    expect(edge(withSub, queues[0].id, 'Shop/Mailer')!.label).toBe('consumes');
    const without = app(false);
    expect(without.nodes.filter((n) => n.kind === 'queue')).toEqual([]);
    expect(without.edges.filter((e) => e.to === 'Shop/Mailer' || e.from === 'Shop/Bus/order-placed')).toEqual([]);
    // Nothing crosses apps in one app.
    expect(withSub.edges.filter((e) => e.acrossApps)).toEqual([]);
  });
});

describe('DOT and SVG', () => {
  test('every box and arrow is in the DOT, quotes and backslashes escaped', () => {
    const dot = toDot({
      apps: [{ name: 'a', stacks: [{ path: 'S', name: 'S', resources: 1 }] }],
      nodes: [{ id: 'S/x', kind: 'service', lines: ['service "x"', 'C:\\tmp'], stack: 'S' }, { id: 'S/y', kind: 'topic', lines: ['topic y'], stack: 'S' }],
      edges: [{ from: 'S/x', to: 'S/y', label: 'publishes', acrossApps: false }],
    });
    expect(dot).toContain('"S/x" [label="service \\"x\\"\\nC:\\\\tmp"');
    expect(dot).toContain('"S/x" -> "S/y" [label="publishes"]');
  });

  test('the store drawn twice is the same SVG, with every box\'s title in it', async () => {
    const dot = toDot(graph);
    const [first, second] = [await renderSvg(dot), await renderSvg(toDot(storeGraph(store.apps)))];
    expect(second).toBe(first);
    expect(first.startsWith('<?xml')).toBe(true);
    // Graphviz writes a hyphen as &#45;.
    const text = first.replace(/&#45;/g, '-').replace(/&gt;/g, '>');
    for (const n of graph.nodes) expect(text).toContain(`>${n.lines[0]}</text>`);
  });

  test('DOT that Graphviz cannot read is an error that says so', async () => {
    await expect(renderSvg('digraph {')).rejects.toThrow(/Graphviz could not draw the store/);
  });
});

describe('what the README shows of the store', () => {
  test('the picture the build draws', () => {
    expect(README).toContain('](docs/diagram/store.svg)');
    expect(fs.existsSync(path.join(__dirname, '..', '..', 'docs', 'diagram', 'store.svg'))).toBe(true);
  });

  test('the widget list of the email worker\'s dashboard is the synthesized dashboard\'s, in order', () => {
    const block = README.slice(README.indexOf('<!-- widgets of store-email-worker -->'), README.indexOf('<!-- end of widgets -->'));
    const listed = block.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| widget')).map((l) => l.split('|')[1].trim());
    const dashboard = all().find((c) => c.node.path === 'Workers/EmailWorkerDashboard')!.node.findAll()
      .find((c): c is cloudwatch.CfnDashboard => c instanceof cloudwatch.CfnDashboard)!;
    expect(dashboard.dashboardName).toBe('store-email-worker');
    // The body is JSON joined with tokens that sit inside strings: a token is a string's content.
    const body = Stack.of(dashboard).resolve(dashboard.dashboardBody);
    const json = (body['Fn::Join']?.[1] ?? [body]).map((part: unknown) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    const widgets: Array<{ type: string; properties: { title?: string } }> = JSON.parse(json).widgets;
    expect(listed).toEqual(widgets.map((w) => (w.type === 'text' ? '(heading)' : w.properties.title)));
  });
});
