/**
 * The private DNS name of a PrivateLink exposure: checking the name against its public hosted
 * zone, then setting it on the endpoint service and having AWS verify the domain through
 * custom resources (CloudFormation has no property for it).
 */
import { Fn, Names, Stack, aws_route53 as route53, custom_resources as cr } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge, nistAndHipaa, suppressGuard } from '../private/acknowledge';
import { isDomainName, normalDnsName, zoneNameOf } from '../private/naming';
import { Problems, known, show } from '../private/validation';

/** The construct id of CDK's singleton Lambda function for AwsCustomResource, at the stack's root. */
const AWS_CUSTOM_RESOURCE_ID = 'AWS679f53fac002430cb0da5b7982bd2287';
const VERIFICATION_NAME = 'ServiceConfigurations.0.PrivateDnsNameConfiguration.Name';
const VERIFICATION_VALUE = 'ServiceConfigurations.0.PrivateDnsNameConfiguration.Value';

/**
 * Records the problems of `privateDnsName` and `publicHostedZone`: each needs the other, the
 * zone must have a name, and the name must be a DNS name in the zone.
 * @internal
 */
export function privateDnsNameProblems(p: Problems, name: string | undefined, zone: route53.IPublicHostedZone | undefined): void {
  if (name !== undefined && zone === undefined) {
    p.add('`privateDnsName` needs the `publicHostedZone` that holds it, where AWS\'s verification TXT record is written');
  }
  if (zone !== undefined && name === undefined) {
    p.add('`publicHostedZone` is used only to verify a `privateDnsName`; give the name or remove the zone');
  }
  if (zone !== undefined && (zone === null || typeof zone !== 'object' || typeof zone.hostedZoneId !== 'string')) {
    p.add(`\`publicHostedZone\` ${show(zone)} is not a route53.IPublicHostedZone`);
    return;
  }
  const zoneName = zone ? zoneNameOf(zone) : undefined;
  if (zone && zoneName === undefined) {
    p.add('`publicHostedZone` has no zone name (it was imported by id only), which the verification record needs; import it with route53.PublicHostedZone.fromPublicHostedZoneAttributes({ hostedZoneId, zoneName })');
    return;
  }
  if (!known(name)) return;
  const lower = normalDnsName(name);
  if (!isDomainName(lower)) {
    p.add(`\`privateDnsName\` ${show(name)} is not a DNS name; use labels of a-z, 0-9 and '-' separated by dots, like 'billing.example.com'`);
    return;
  }
  if (known(zoneName)) {
    const apex = normalDnsName(zoneName);
    if (lower !== apex && !lower.endsWith(`.${apex}`)) {
      p.add(`\`privateDnsName\` '${name}' is not in the public hosted zone '${apex}'; use a name that ends with '.${apex}' or the zone that holds it`);
    }
  }
}

/**
 * Sets the endpoint service's private DNS name and has AWS verify the domain: three AWS
 * SDK calls through custom resources (CloudFormation has no property for it) and the TXT
 * record AWS asks for, under `exposure`/PrivateDnsName. The same calls as CDK's
 * `VpcEndpointServiceDomainName`, which keeps a registry of endpoint services for the whole
 * process and so refuses a second synthesis of the same app in one process (unit tests).
 * @internal
 */
export function addPrivateDnsName(exposure: Construct, endpointServiceId: string, name: string, zone: route53.IPublicHostedZone): void {
  const scope = new Construct(exposure, 'PrivateDnsName');
  const stack = Stack.of(exposure);
  const serviceArn = stack.formatArn({ service: 'ec2', resource: 'vpc-endpoint-service', resourceName: endpointServiceId });
  const enable: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'modifyVpcEndpointServiceConfiguration',
    parameters: { ServiceId: endpointServiceId, PrivateDnsName: name },
    physicalResourceId: cr.PhysicalResourceId.of(`${Names.uniqueId(exposure)}-private-dns`),
  };
  const enableDns = new cr.AwsCustomResource(scope, 'EnableDns', {
    onCreate: enable,
    onUpdate: enable,
    onDelete: { service: 'EC2', action: 'modifyVpcEndpointServiceConfiguration', parameters: { ServiceId: endpointServiceId, RemovePrivateDnsName: true } },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [serviceArn] }),
    installLatestAwsSdk: false,
  });
  // The verification record AWS asks for; read again whenever the name changes.
  const describe: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'describeVpcEndpointServiceConfigurations',
    parameters: { ServiceIds: [endpointServiceId] },
    physicalResourceId: cr.PhysicalResourceId.of(`${Names.uniqueId(exposure)}-${name}`),
    outputPaths: [VERIFICATION_NAME, VERIFICATION_VALUE],
  };
  const getNames = new cr.AwsCustomResource(scope, 'GetNames', {
    onCreate: describe,
    onUpdate: describe,
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    installLatestAwsSdk: false,
  });
  getNames.node.addDependency(enableDns);
  const recordName = getNames.getResponseField(VERIFICATION_NAME);
  const recordValue = getNames.getResponseField(VERIFICATION_VALUE);
  const record = new route53.TxtRecord(scope, 'DnsVerificationRecord', { zone, recordName, values: [recordValue] });
  const start: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'startVpcEndpointServicePrivateDnsVerification',
    parameters: { ServiceId: endpointServiceId },
    physicalResourceId: cr.PhysicalResourceId.of(Fn.join(':', [recordName, recordValue])),
  };
  const verify = new cr.AwsCustomResource(scope, 'StartVerification', {
    onCreate: start,
    onUpdate: start,
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [serviceArn] }),
    installLatestAwsSdk: false,
  });
  verify.node.addDependency(record);

  // The custom resources run in CDK's Lambda function for AwsCustomResource (one per stack,
  // outside any VPC): accepted here, where the user asked for a private DNS name.
  const lambdaReason = 'The Lambda function is CDK\'s AwsCustomResource that sets and verifies the endpoint service\'s private DNS name once per deployment (CloudFormation has no property for it); it handles no data and needs no VPC.';
  const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_ID);
  if (provider) acknowledgeCustomResourceLambda(provider, lambdaReason);
  acknowledge(scope, [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeVpcEndpointServiceConfigurations, which reads the verification record of the private DNS name, has no resource-level permissions; the other calls are scoped to this endpoint service.',
    },
    ...nistAndHipaa('IAMNoInlinePolicy', 'Each policy is written for one custom resource call on this endpoint service; a managed policy would add no reuse.'),
  ]);
}

/** Acknowledges the findings on CDK's AwsCustomResource Lambda function, with the reason. */
function acknowledgeCustomResourceLambda(fn: IConstruct, reason: string): void {
  acknowledge(fn, [
    { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason },
    { id: 'AwsSolutions-L1', reason },
    ...nistAndHipaa('LambdaInsideVPC', reason),
    ...nistAndHipaa('LambdaConcurrency', reason),
    ...nistAndHipaa('LambdaDLQ', reason),
    ...nistAndHipaa('IAMNoInlinePolicy', reason),
  ]);
  suppressGuard(fn, ['lambda_inside_vpc_check'], reason);
}
