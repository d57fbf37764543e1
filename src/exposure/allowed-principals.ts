/**
 * Who may connect to a PrivateLink exposure: the principals allowed to create endpoints, the
 * client address ranges the load balancer lets in, and the Regions consumers may connect from.
 */
import { Stack, Token, Tokenization, aws_ec2 as ec2, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PrivateLinkExposureProps } from './private-link-exposure';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { Problems, anyAddressRange, cidrRangeProblem, known, show } from '../private/validation';

/**
 * Records the problems of `allowedPrincipals` and `allowAnyPrincipal`.
 * @internal
 */
export function allowedPrincipalProblems(p: Problems, props: PrivateLinkExposureProps): void {
  const principals = props.allowedPrincipals;
  if (!Array.isArray(principals) || principals.length === 0) {
    p.add('`allowedPrincipals` is empty: name who may connect, for example [new iam.AccountPrincipal(\'111122223333\')] (nobody could connect otherwise)');
    return;
  }
  principals.forEach((principal, i) => {
    if (!(principal instanceof iam.ArnPrincipal)) {
      p.add(`\`allowedPrincipals[${i}]\` ${kindOf(principal)} is not an iam.ArnPrincipal; use new iam.AccountPrincipal(accountId) or new iam.ArnPrincipal(roleArn)`);
      return;
    }
    const problem = principalProblem(principal, props.allowAnyPrincipal === true);
    if (problem) p.add(`\`allowedPrincipals[${i}]\` ${problem}`);
  });
  // An AccountPrincipal's ARN is a token (its partition): compare accounts by id.
  const arns = principals.filter((x) => x instanceof iam.ArnPrincipal)
    .map((x) => (x instanceof iam.AccountPrincipal && typeof x.accountId === 'string' && known(x.accountId) ? `arn:aws:iam::${x.accountId}:root` : x.arn))
    .filter((arn) => typeof arn === 'string' && !Token.isUnresolved(arn));
  const duplicates = [...new Set(arns.filter((arn, i) => arns.indexOf(arn) !== i))];
  if (duplicates.length > 0) p.add(`\`allowedPrincipals\` names ${duplicates.map((d) => `'${d}'`).join(', ')} more than once; name each principal once`);
  if (props.allowAnyPrincipal === true && !arns.includes('*')) {
    p.add('`allowAnyPrincipal` is true but no principal is \'*\'; add new iam.ArnPrincipal(\'*\') or remove `allowAnyPrincipal`');
  }
}

/**
 * Records the problems of `allowedClients` (with
 * `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic`) and `allowedRegions`.
 * @internal
 */
export function allowedClientProblems(p: Problems, props: PrivateLinkExposureProps): void {
  const enforce = props.enforceSecurityGroupInboundRulesOnPrivateLinkTraffic ?? true;
  const clients = props.allowedClients;
  if (clients !== undefined && !Array.isArray(clients)) {
    p.add(`\`allowedClients\` ${show(clients)} is not a list of ec2.IPeer, for example [ec2.Peer.ipv4('10.1.0.0/16')]`);
  } else if (clients !== undefined) {
    clients.forEach((client, i) => {
      const problem = clientProblem(client);
      if (problem) p.add(`\`allowedClients[${i}]\` ${problem}`);
    });
  }
  if (enforce && (clients === undefined || (Array.isArray(clients) && clients.length === 0))) {
    p.add('`allowedClients` is empty while inbound rules are enforced on PrivateLink traffic: no client could connect; name the consumer VPCs\' ranges (for example [ec2.Peer.ipv4(\'10.1.0.0/16\')]) or set `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic` to false');
  }
  if (!enforce && Array.isArray(clients) && clients.length > 0) {
    p.add('`allowedClients` has no effect when `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic` is false; remove one of them');
  }
  (props.allowedRegions ?? []).forEach((region, i) => {
    if (known(region) && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) {
      p.add(`\`allowedRegions[${i}]\` ${show(region)} is not a Region name; use one like 'eu-west-1'`);
    }
  });
  const regions = (props.allowedRegions ?? []).filter((r) => known(r));
  const repeated = [...new Set(regions.filter((r, i) => regions.indexOf(r) !== i))];
  if (repeated.length > 0) p.add(`\`allowedRegions\` names ${repeated.map((r) => `'${r}'`).join(', ')} more than once`);
}

/**
 * Lets the allowed clients in to the load balancer's security group on the listener port,
 * one rule per distinct peer.
 * @internal
 */
export function allowClients(scope: Construct, securityGroup: ec2.SecurityGroup, clients: ec2.IPeer[], port: number, servicePath: string): void {
  // One rule per distinct peer (the same range or group given twice would be a duplicate rule).
  const ruleKey = (client: ec2.IPeer): string => JSON.stringify(Stack.of(scope).resolve(client.toIngressRuleConfig()));
  const distinct = new Map(clients.map((client) => [ruleKey(client), client]));
  for (const client of distinct.values()) {
    securityGroup.addIngressRule(client, ec2.Port.tcp(port), `PrivateLink clients of ${servicePath}`);
  }
  if ([...distinct.values()].some((client) => Token.isUnresolved(JSON.stringify(client.toIngressRuleConfig())))) {
    // cdk-nag cannot read a range known only at deployment (another VPC's CIDR): its rules
    // on open ingress throw. Literal ranges are checked above and never any address.
    const reason = 'A client range is known only at deployment (for example a consumer VPC\'s CIDR), which the rule cannot read; only the listener port is opened, to the ranges given, and a literal 0.0.0.0/0 or ::/0 is refused at synth.';
    acknowledge(securityGroup, [
      { id: 'AwsSolutions-EC23', reason },
      ...nistAndHipaa('EC2RestrictedCommonPorts', reason),
      ...nistAndHipaa('EC2RestrictedSSH', reason),
    ]);
  }
}

/** The problem with an allowed principal, or undefined. */
function principalProblem(principal: iam.ArnPrincipal, allowAny: boolean): string | undefined {
  if (principal instanceof iam.AccountPrincipal) {
    // Its ARN is a token as a whole (the partition is the stack's): check the account id.
    const account: unknown = principal.accountId;
    if (typeof account !== 'string' || Token.isUnresolved(account)) return undefined;
    if (account.includes('*')) {
      return `(an iam.AccountPrincipal of ${show(account)}) has a wildcard: name whole 12-digit accounts, or new iam.ArnPrincipal('*') with \`allowAnyPrincipal\` for any account`;
    }
    if (!/^\d{12}$/.test(account)) return `(an iam.AccountPrincipal) account ${show(account)} is not a 12-digit AWS account id; use one like '111122223333'`;
    return undefined;
  }
  const arn = principal.arn;
  if (typeof arn !== 'string') return `${show(arn)} has no ARN`;
  const fragments = Tokenization.reverseString(arn);
  const literal = String(fragments.mapTokens({ mapToken: () => '' }).join({ join: (left: unknown, right: unknown) => `${left}${right}` }));
  const hasTokens = fragments.tokens.length > 0;
  if (!hasTokens && arn === '*') {
    return allowAny ? undefined : 'is \'*\' (any AWS account): set `allowAnyPrincipal` to true to allow it on purpose, or name accounts and roles';
  }
  if (literal.includes('*')) {
    return `'${arn}' has a wildcard: endpoint services take whole principals (an account, role or user ARN) or '*' alone`;
  }
  if (hasTokens) {
    // Partly resolved (the partition or account of an AccountPrincipal): check what is literal.
    if (literal !== '' && !literal.includes(':iam::')) return `'${literal}' is not an IAM principal ARN; use an account, role or user ARN`;
    return undefined;
  }
  if (!/^arn:aws(-[a-z]+)*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/.test(arn)) {
    return `'${arn}' is not an account, role or user ARN; use one like 'arn:aws:iam::111122223333:root' or 'arn:aws:iam::111122223333:role/consumer'`;
  }
  return undefined;
}

/** The problem with an allowed client peer, or undefined. */
function clientProblem(client: ec2.IPeer): string | undefined {
  if (!client || typeof (client as ec2.IPeer).toIngressRuleConfig !== 'function') {
    return `${show(client)} is not an ec2.IPeer; use ec2.Peer.ipv4('10.1.0.0/16')`;
  }
  const range = cidrRangeProblem(client);
  if (range) return range;
  const any = anyAddressRange(client);
  return any ? `${any} lets any address in; name the consumer VPCs' ranges, like ec2.Peer.ipv4('10.1.0.0/16')` : undefined;
}

/** A value for an error message: its class for objects of a class, else the value itself. */
function kindOf(value: unknown): string {
  const name = value !== null && typeof value === 'object' ? (value as object).constructor?.name : undefined;
  return name && name !== 'Object' ? `(a ${name})` : show(value);
}
