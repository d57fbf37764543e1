import {
  Annotations,
  Duration,
  Names,
  RemovalPolicy,
  Token,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_kms as kms,
  aws_logs as logs,
  aws_s3 as s3,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { MicroserviceEnvironmentProps } from './microservice-environment';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { createLogBucket } from '../private/log-buckets';

/** How `addLoadBalancer` builds a load balancer. @internal */
export interface LoadBalancerOptions {
  readonly certificate?: acm.ICertificate;
  readonly sslPolicy?: elbv2.SslPolicy;
  readonly internetFacing: boolean;
  readonly deletionProtection: boolean;
  readonly description: string;
  /** Answer 404 by default (the shared load balancer); otherwise the listener starts without a default action. */
  readonly notFoundByDefault: boolean;
}

/** What the load balancers of an environment need from the environment. */
export interface LoadBalancingOwner extends Construct {
  readonly vpc: ec2.IVpc;
  readonly serviceSubnets: ec2.SubnetSelection;
  readonly logRetention: logs.RetentionDays;
  readonly encryptionKey: kms.IKey;
}

/**
 * The load balancers of an environment (the shared one, canary slots') and what they share:
 * the access-log bucket and the AWS WAF web ACL, each created once, on first use, under the
 * environment.
 */
export class EnvironmentLoadBalancing {
  /** The web ACL we created, once a load balancer needed it. */
  public webAcl?: wafv2.CfnWebACL;
  private accessLogs?: s3.IBucket;

  constructor(private readonly env: LoadBalancingOwner, private readonly props: MicroserviceEnvironmentProps) {}

  /** The bucket load balancers write access logs to, once one exists. */
  public get accessLogsBucket(): s3.IBucket | undefined {
    return this.accessLogs ?? this.props.accessLogsBucket;
  }

  /** The bucket load balancers write access logs to, created on first use. */
  public obtainAccessLogsBucket(): s3.IBucket {
    this.accessLogs ??= this.props.accessLogsBucket ?? this.createAccessLogsBucket();
    return this.accessLogs;
  }

  /**
   * Creates an Application Load Balancer in the environment's VPC under `scope`, with the
   * environment's defaults: HTTPS with the certificate and a TLS policy, port 80 redirected
   * (or plain HTTP when no certificate is given, with a warning), invalid headers dropped,
   * access logs to the environment's bucket and the environment's WAF web ACL (both
   * created once, on first use). The shared load balancer and canary slots use it.
   */
  public addLoadBalancer(scope: Construct, options: LoadBalancerOptions): {
    loadBalancer: elbv2.ApplicationLoadBalancer; listener: elbv2.ApplicationListener;
  } {
    const internetFacing = options.internetFacing;
    const notFound = options.notFoundByDefault
      ? elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not found' }) : undefined;
    const securityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
      vpc: this.env.vpc,
      description: options.description,
      allowAllOutbound: false,
    });
    const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
      vpc: this.env.vpc,
      internetFacing,
      securityGroup,
      vpcSubnets: { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : this.env.serviceSubnets.subnetType },
      deletionProtection: options.deletionProtection,
      dropInvalidHeaderFields: true,
    });
    loadBalancer.logAccessLogs(this.obtainAccessLogsBucket(), 'alb');

    const peer = internetFacing ? ec2.Peer.anyIpv4() : ec2.Peer.ipv4(this.env.vpc.vpcCidrBlock);
    let listener: elbv2.ApplicationListener;
    if (options.certificate) {
      listener = loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [options.certificate],
        sslPolicy: options.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultAction: notFound,
      });
      const redirect = loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
      acknowledge(redirect, nistAndHipaa('ELBv2ACMCertificateRequired', 'This port 80 listener only answers with a permanent redirect to the HTTPS listener; it serves no content.'));
      securityGroup.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS from clients');
      securityGroup.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from clients, redirected to HTTPS');
    } else {
      Annotations.of(scope).addWarningV2('cdk-microservices:plainHttp',
        `The load balancer ${scope.node.path} serves plain HTTP (\`allowPlainHttp\`): traffic is not encrypted in transit. Outside development, set a \`certificate\` instead of \`allowPlainHttp\`.`);
      listener = loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: notFound,
      });
      securityGroup.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from clients (plain HTTP allowed explicitly)');
    }
    if (internetFacing) {
      acknowledge(securityGroup, [{
        id: 'AwsSolutions-EC23',
        reason: 'An internet-facing load balancer accepts clients from any IPv4 address on its listener ports only.',
      }]);
    }
    const webAclArn = this.obtainWebAclArn();
    if (webAclArn) {
      new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
        resourceArn: loadBalancer.loadBalancerArn,
        webAclArn,
      });
    }
    return { loadBalancer, listener };
  }

  /**
   * The web ACL the environment's load balancers are associated with: the one given, the one
   * created on first use (unless `createWebAcl` is false), or none.
   */
  public obtainWebAclArn(): string | undefined {
    if (this.props.webAclArn === undefined && this.props.createWebAcl !== false) this.webAcl ??= this.createWebAcl();
    return this.props.webAclArn ?? this.webAcl?.attrArn;
  }

  private createWebAcl(): wafv2.CfnWebACL {
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    });
    const metricName = Names.uniqueResourceName(this.env, { maxLength: 128, separator: '-' });
    const webAcl = new wafv2.CfnWebACL(this.env, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: `Shared load balancer of ${this.env.node.path}`,
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        managed('AWSManagedRulesCommonRuleSet', 2),
      ],
    });
    // WAF logs to CloudWatch Logs only into log groups named aws-waf-logs-*, so the name is
    // fixed. Kept on update and delete but not when its creation is rolled back
    // (DeletionPolicy RetainExceptOnCreate): a log group kept by a failed first deployment
    // would make the next one fail with "already exists".
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    const logGroup = new logs.LogGroup(this.env, 'WebAclLogs', {
      logGroupName: `aws-waf-logs-${Names.uniqueResourceName(this.env, { maxLength: 400, separator: '-' })}`,
      retention: this.env.logRetention,
      encryptionKey: this.env.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    new wafv2.CfnLoggingConfiguration(this.env, 'WebAclLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [logGroup.logGroupArn],
    });
    return webAcl;
  }

  private createAccessLogsBucket(): s3.Bucket {
    const expiration = Token.isUnresolved(this.env.logRetention) || this.env.logRetention <= 0
      ? undefined : Duration.days(this.env.logRetention);
    const retention = this.props.accessLogsObjectLockRetention;
    if (retention) {
      // "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to
      // upload an object with a retention period configured using Amazon S3 Object Lock";
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html. The Elastic Load
      // Balancing guide says nothing of the headers it sends:
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
      Annotations.of(this.env).addWarningV2('cdk-microservices:accessLogsObjectLockChecksum',
        `\`accessLogsObjectLockRetention\` gives the access-log bucket of ${this.env.node.path} a default retention: S3 then refuses every PutObject without a Content-MD5 or x-amz-checksum-* header. `
        + 'Whether Elastic Load Balancing sends one is not documented: deliver an access log in a test account before relying on it.');
    }
    // Object Lock stays activated (without a default retention unless asked): these are
    // Elastic Load Balancing access logs, not S3 server access logs, and the ELB bucket
    // requirements (same Region, SSE-S3, a bucket policy) say nothing against Object Lock.
    return createLogBucket(this.env, 'AccessLogs', {
      writer: 'Elastic Load Balancing',
      logs: 'load balancer access logs',
      expiration,
      objectLock: true,
      defaultRetention: retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
