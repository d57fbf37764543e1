/**
 * A slot's weighted record, and the slot as the rollout state machine sees it: its service, its
 * record in the shape of the Route 53 API, and the alarms that roll a rollout to it back.
 */
import {
  Duration, Lazy, Token,
  aws_cloudwatch as cloudwatch,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_route53 as route53,
  aws_route53_targets as route53targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TwelveFactorService } from '../service';

/** The record name clients use, fully qualified in the zone (`users` or `users.example.com` in example.com). */
export function fullyQualified(recordName: string, zoneName: string): string {
  if (Token.isUnresolved(recordName) || Token.isUnresolved(zoneName)) return `${recordName}.${zoneName}`;
  const name = recordName.replace(/\.$/, '');
  const zone = zoneName.toLowerCase();
  const lower = name.toLowerCase();
  return lower === zone || lower.endsWith(`.${zone}`) ? name : `${name}.${zoneName}`;
}

/** Where the weighted records go. */
export interface WeightedRecordOptions {
  readonly zone: route53.IHostedZone;
  /** The fully qualified record name. */
  readonly domainName: string;
  /** CNAME records with this TTL; otherwise alias A records. */
  readonly ttl?: Duration;
}

/** The weighted record of a slot (`BlueRecord` or `GreenRecord` of `canary`), set identifier the slot's name. */
export function createWeightedRecord(canary: Construct, name: 'blue' | 'green', lb: elbv2.IApplicationLoadBalancer, weight: number,
  options: WeightedRecordOptions): route53.RecordSet {
  const common = { zone: options.zone, recordName: `${options.domainName}.`, weight, setIdentifier: name };
  return options.ttl
    ? new route53.CnameRecord(canary, name === 'blue' ? 'BlueRecord' : 'GreenRecord', { ...common, domainName: lb.loadBalancerDnsName, ttl: options.ttl })
    : new route53.ARecord(canary, name === 'blue' ? 'BlueRecord' : 'GreenRecord', {
      ...common,
      target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(lb, { evaluateTargetHealth: true })),
    });
}

/** A slot as the state machine sees it: everything is known at synth time (or a token). */
export interface RolloutSlot {
  /** 'blue' or 'green'. */
  readonly name: string;
  readonly clusterArn: string;
  readonly serviceArn: string;
  /** The ECS service's name and cluster name, for Application Auto Scaling's resource id. */
  readonly scalingResourceId: string;
  /** The task definition CloudFormation registered: a release copies it with the new image. */
  readonly taskDefinitionArn: string;
  /** The slot's Route 53 record without its weight (Route 53 API shape). */
  readonly record: { [key: string]: unknown };
  /** The alarms that roll a rollout to this slot back (any of them in ALARM). */
  readonly alarmNames: string[];
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly scales: boolean;
}

/** What a slot's data is made of. */
export interface RolloutSlotSource {
  readonly name: 'blue' | 'green';
  readonly service: TwelveFactorService;
  readonly cluster: ecs.ICluster;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The fully qualified record name. */
  readonly domainName: string;
  /** CNAME records with this TTL; otherwise alias A records. */
  readonly recordTtl?: Duration;
  /** The slot's alarms, read when the definition is synthesized (the list may still grow). */
  readonly alarms: () => cloudwatch.IAlarm[];
}

/** The data of a slot in the definition. */
export function rolloutSlot(s: RolloutSlotSource): RolloutSlot {
  const lb = s.loadBalancer;
  return {
    name: s.name,
    clusterArn: s.cluster.clusterArn,
    serviceArn: s.service.service.serviceArn,
    scalingResourceId: `service/${s.cluster.clusterName}/${s.service.service.serviceName}`,
    taskDefinitionArn: s.service.taskDefinition.taskDefinitionArn,
    record: s.recordTtl
      // The Route 53 record as the AWS SDK integration takes it: member names spelled as the AWS
      // SDK for Java v2 spells them (TTL -> Ttl, DNSName -> DnsName), not as the API reference does:
      // https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
      ? { Name: `${s.domainName}.`, Type: 'CNAME', SetIdentifier: s.name, Ttl: s.recordTtl.toSeconds(), ResourceRecords: [{ Value: lb.loadBalancerDnsName }] }
      : {
        Name: `${s.domainName}.`,
        Type: 'A',
        SetIdentifier: s.name,
        AliasTarget: { HostedZoneId: lb.loadBalancerCanonicalHostedZoneId, DnsName: `dualstack.${lb.loadBalancerDnsName}`, EvaluateTargetHealth: true },
      },
    alarmNames: Lazy.list({ produce: () => s.alarms().map((a) => a.alarmName) }),
    minCapacity: s.service.minTasks,
    maxCapacity: s.service.maxTasks,
    scales: s.service.scaling !== undefined,
  };
}
