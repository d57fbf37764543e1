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
import { Construct } from 'constructs';
import { EnvironmentDocument, subnetTypeOf } from './environment-document';
import { IMicroserviceEnvironment } from './environment-interface';
import { EnvironmentLoadBalancing, LoadBalancerOptions } from './environment-load-balancer';
import { setSharing } from './sharing';
import { StageDefaults, stageDefaults, StageProfile } from './stage-profile';

/**
 * A MicroserviceEnvironment that another app created, rebuilt in this app from the document
 * it published (`MicroserviceEnvironment.fromLookup`). Every attribute is an import by ID or
 * ARN: nothing in this app's templates refers to the environment's stack, so either app
 * deploys, updates or is deleted on its own schedule.
 */
export class ImportedMicroserviceEnvironment extends Construct implements IMicroserviceEnvironment {
  public readonly vpc: ec2.IVpc;
  public readonly serviceSubnets: ec2.SubnetSelection;
  public readonly cluster: ecs.ICluster;
  public readonly namespace: servicediscovery.IPrivateDnsNamespace;
  public readonly namespaceName: string;
  public readonly encryptionKey: kms.IKey;
  public readonly logRetention: logs.RetentionDays;
  public readonly stageProfile: StageProfile;
  public readonly alarmTopic: sns.ITopic;
  public readonly https: boolean;
  public readonly loadBalancer?: elbv2.IApplicationLoadBalancer;
  public readonly listener?: elbv2.IApplicationListener;
  public readonly certificate?: acm.ICertificate;
  public readonly hostedZone?: route53.IHostedZone;
  public readonly endpointSecurityGroup?: ec2.ISecurityGroup;
  public readonly accessLogsBucket?: s3.IBucket;
  /** The environment's name. */
  public readonly environmentName: string;
  /** The AWS WAF web ACL of the environment's load balancers, if any. */
  public readonly webAclArn?: string;
  private readonly loadBalancing: EnvironmentLoadBalancing;

  constructor(scope: Construct, id: string, doc: EnvironmentDocument) {
    super(scope, id);
    this.environmentName = doc.environmentName;
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: doc.vpcId,
      vpcCidrBlock: doc.vpcCidrBlock,
      availabilityZones: doc.availabilityZones,
      publicSubnetIds: nonEmpty(doc.publicSubnets.subnetIds),
      publicSubnetRouteTableIds: nonEmpty(doc.publicSubnets.routeTableIds),
      privateSubnetIds: nonEmpty(doc.privateSubnets.subnetIds),
      privateSubnetRouteTableIds: nonEmpty(doc.privateSubnets.routeTableIds),
      isolatedSubnetIds: nonEmpty(doc.isolatedSubnets.subnetIds),
      isolatedSubnetRouteTableIds: nonEmpty(doc.isolatedSubnets.routeTableIds),
    });
    const type = subnetTypeOf(doc.serviceSubnetType);
    this.serviceSubnets = type !== undefined
      ? { subnetType: type }
      : { subnets: doc.serviceSubnetIds.map((subnetId, i) => ec2.Subnet.fromSubnetId(this, `ServiceSubnet${i}`, subnetId)) };
    this.cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: doc.clusterName,
      clusterArn: doc.clusterArn,
      vpc: this.vpc,
      securityGroups: [],
    });
    this.namespace = servicediscovery.PrivateDnsNamespace.fromPrivateDnsNamespaceAttributes(this, 'Namespace', {
      namespaceName: doc.namespaceName,
      namespaceId: doc.namespaceId,
      namespaceArn: doc.namespaceArn,
    });
    this.namespaceName = doc.namespaceName;
    this.encryptionKey = kms.Key.fromKeyArn(this, 'Key', doc.encryptionKeyArn);
    this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', doc.alarmTopicArn);
    this.logRetention = doc.logRetentionDays as logs.RetentionDays;
    this.stageProfile = (Object.values(StageProfile) as string[]).includes(doc.stageProfile)
      ? doc.stageProfile as StageProfile : StageProfile.PRODUCTION;
    this.https = doc.https;
    if (doc.loadBalancerArn && doc.listenerArn && doc.loadBalancerSecurityGroupId) {
      // The load balancer's security group lets its egress rules to the services be added
      // here (in this app's stack): the environment created it with no outbound rule.
      const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'LoadBalancerSecurityGroup', doc.loadBalancerSecurityGroupId, {
        allowAllOutbound: false,
      });
      this.loadBalancer = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(this, 'LoadBalancer', {
        loadBalancerArn: doc.loadBalancerArn,
        securityGroupId: doc.loadBalancerSecurityGroupId,
        securityGroupAllowsAllOutbound: false,
        loadBalancerDnsName: doc.loadBalancerDnsName,
        loadBalancerCanonicalHostedZoneId: doc.loadBalancerCanonicalHostedZoneId,
        vpc: this.vpc,
      });
      this.listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(this, 'Listener', {
        listenerArn: doc.listenerArn,
        securityGroup,
      });
    }
    if (doc.certificateArn) this.certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', doc.certificateArn);
    if (doc.hostedZoneId && doc.hostedZoneName) {
      this.hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
        hostedZoneId: doc.hostedZoneId,
        zoneName: doc.hostedZoneName,
      });
    }
    if (doc.endpointSecurityGroupId) {
      this.endpointSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'EndpointSecurityGroup', doc.endpointSecurityGroupId, {
        allowAllOutbound: false,
      });
    }
    if (doc.accessLogsBucketName) this.accessLogsBucket = s3.Bucket.fromBucketName(this, 'AccessLogsBucket', doc.accessLogsBucketName);
    this.webAclArn = doc.webAclArn;
    // Load balancers this app creates on the environment (canary slots) are built as the
    // environment builds its own: access logs to its bucket, its web ACL when it has one; no
    // bucket or web ACL of their own (the environment's app created them once for every app).
    this.loadBalancing = new EnvironmentLoadBalancing(this, {
      accessLogsBucket: this.accessLogsBucket,
      webAclArn: doc.webAclArn,
      createWebAcl: false,
    });
    setSharing(this, {
      environmentName: doc.environmentName,
      claimServiceToken: doc.claimServiceToken,
      imported: true,
    });
  }

  /** The sizes and counts the stage profile sets. */
  public get stageDefaults(): StageDefaults {
    return stageDefaults(this.stageProfile);
  }

  /**
   * Creates an Application Load Balancer in the environment's VPC under `scope` with the
   * environment's settings (HTTPS, its access-log bucket, its web ACL if any): what
   * `MicroserviceEnvironment._addLoadBalancer` does for an environment of this app.
   * @internal
   */
  public _addLoadBalancer(scope: Construct, options: LoadBalancerOptions): {
    loadBalancer: elbv2.ApplicationLoadBalancer; listener: elbv2.ApplicationListener;
  } {
    return this.loadBalancing.addLoadBalancer(scope, options);
  }
}

function nonEmpty(list: string[]): string[] | undefined {
  return list.length > 0 ? list : undefined;
}
