import {
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_kms as kms,
  aws_logs as logs,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_servicediscovery as servicediscovery,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { StageDefaults, StageProfile } from './stage-profile';

/**
 * What services need from the environment they run in. `MicroserviceEnvironment` implements it;
 * every construct that takes an environment takes this interface.
 */
export interface IMicroserviceEnvironment extends IConstruct {
  /** The VPC the services run in. */
  readonly vpc: ec2.IVpc;
  /** The subnets the tasks run in. */
  readonly serviceSubnets: ec2.SubnetSelection;
  /** The ECS cluster. */
  readonly cluster: ecs.ICluster;
  /** The Cloud Map private DNS namespace services register in. */
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  /** The name of the Cloud Map namespace. */
  readonly namespaceName: string;
  /** The KMS key for log groups and data at rest. */
  readonly encryptionKey: kms.IKey;
  /** How long log groups keep events. */
  readonly logRetention: logs.RetentionDays;
  /** The stage profile. */
  readonly stageProfile: StageProfile;
  /** The sizes and counts the stage profile sets. */
  readonly stageDefaults: StageDefaults;
  /** The topic the services' alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** Whether the shared listener is HTTPS. */
  readonly https: boolean;
  /**
   * The shared load balancer, when there is one.
   * @default - none
   */
  readonly loadBalancer?: elbv2.IApplicationLoadBalancer;
  /**
   * The listener services route on, when there is a shared load balancer.
   * @default - none
   */
  readonly listener?: elbv2.IApplicationListener;
  /**
   * The certificate of the shared listener, when it is HTTPS.
   * @default - none
   */
  readonly certificate?: acm.ICertificate;
  /**
   * The hosted zone for service host names.
   * @default - none
   */
  readonly hostedZone?: route53.IHostedZone;
  /**
   * The security group of the interface VPC endpoints; services are let in on 443.
   * @default - no endpoints
   */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
  /**
   * The bucket load balancers of the environment write access logs to.
   * @default - none yet
   */
  readonly accessLogsBucket?: s3.IBucket;
}
