/**
 * Self-test of the API contract checker (aws-models.ts): known-good calls pass, known-bad ones
 * are refused with a message that names where, the member and why. A checker that accepts
 * everything would fail here.
 */
import { checkCall, checkErrorNames, checkOutputPath, javaExceptionName, javaServiceName, model, parsePath, sfnMemberName } from './aws-models';

describe('the Step Functions naming rule (AWS SDK for Java v2 names, capitalized)', () => {
  test.each([
    ['DNSName', 'DnsName'], ['TTL', 'Ttl'], ['BOOL', 'Bool'], ['DBInstanceIdentifier', 'DbInstanceIdentifier'],
    ['SSEKMSKeyId', 'SsekmsKeyId'], ['VPCId', 'VpcId'], ['RoleARN', 'RoleARN'], ['ARN', 'Arn'], ['S', 'S'], ['SS', 'Ss'],
    ['HostedZoneId', 'HostedZoneId'], ['Equals', 'EqualsValue'], ['taskDefinition', 'TaskDefinition'], ['resourceType', 'ResourceType'],
  ])('%s -> %s', (api, sfn) => {
    expect(sfnMemberName(api)).toBe(sfn);
  });
});

describe('the AWS SDK for Java v2 names Step Functions reports errors under', () => {
  test.each([
    ['ECS', 'Ecs'], ['Route 53', 'Route53'], ['CloudWatch', 'CloudWatch'], ['Application Auto Scaling', 'ApplicationAutoScaling'], ['DynamoDB', 'DynamoDb'],
    ['SNS', 'Sns'], ['EventBridge', 'EventBridge'], ['EC2', 'Ec2'], ['Elastic Load Balancing v2', 'ElasticLoadBalancingV2'], ['Config Service', 'Config'],
    ['ACM PCA', 'AcmPca'], ['S3', 'S3'],
  ])('service %s -> %s', (serviceId, name) => {
    expect(javaServiceName(serviceId)).toBe(name);
  });
  test.each([
    ['InternalServiceFault', 'InternalServiceException'], ['RequestLimitExceeded', 'RequestLimitExceededException'], ['ServerException', 'ServerException'],
    ['KMSThrottlingException', 'KmsThrottlingException'], ['PriorRequestNotComplete', 'PriorRequestNotCompleteException'], ['BucketAlreadyExists', 'BucketAlreadyExistsException'],
  ])('error %s -> %s', (shape, name) => {
    expect(javaExceptionName(shape)).toBe(name);
  });
});

const alias = (dnsKey: string) => ({
  HostedZoneId: 'Z123',
  ChangeBatch: {
    Changes: [{
      Action: 'UPSERT',
      ResourceRecordSet: { Name: 'users.example.com', Type: 'A', SetIdentifier: 'blue', Weight: 10, AliasTarget: { HostedZoneId: 'Z2', [dnsKey]: 'lb.example.com', EvaluateTargetHealth: true } },
    }],
  },
});

describe('parameters', () => {
  test('an AWS SDK integration takes DnsName and refuses DNSName, naming the state, the member and why', () => {
    expect(checkCall({ kind: 'sdk', service: 'route53', action: 'changeResourceRecordSets', params: alias('DnsName'), where: 'SetWeights' })).toEqual([]);
    const problems = checkCall({ kind: 'sdk', service: 'route53', action: 'changeResourceRecordSets', params: alias('DNSName'), where: 'SetWeights' });
    expect(problems).toEqual([
      expect.stringMatching(/^SetWeights: ChangeResourceRecordSets\.ChangeBatch\.Changes\[0\]\.ResourceRecordSet\.AliasTarget: DNSName is not a member of AliasTarget \(the API calls it DNSName; an AWS SDK integration spells it DnsName\)/),
      // DnsName is required, and was not given under its Step Functions name.
      expect.stringMatching(/AliasTarget: required member DnsName is missing/),
    ]);
  });

  test('the API\'s own names (AwsCustomResource, SSM Automation) take DNSName', () => {
    expect(checkCall({ kind: 'api', service: 'route53', action: 'ChangeResourceRecordSets', params: alias('DNSName'), where: 'x' })).toEqual([]);
  });

  test('TTL for CNAME records: Ttl in an AWS SDK integration', () => {
    const cname = (ttl: string) => ({
      HostedZoneId: 'Z123',
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'a', Type: 'CNAME', SetIdentifier: 'blue', Weight: 1, [ttl]: 60, ResourceRecords: [{ Value: 'b' }] } }] },
    });
    expect(checkCall({ kind: 'sdk', service: 'route53', action: 'changeResourceRecordSets', params: cname('Ttl'), where: 's' })).toEqual([]);
    expect(checkCall({ kind: 'sdk', service: 'route53', action: 'changeResourceRecordSets', params: cname('TTL'), where: 's' }))
      .toEqual([expect.stringContaining('TTL is not a member of ResourceRecordSet (the API calls it TTL; an AWS SDK integration spells it Ttl)')]);
  });

  test('the optimized DynamoDB integration takes BOOL; the AWS SDK integration takes Bool', () => {
    const item = (bool: string) => ({ TableName: 't', Item: { pk: { S: 'a' }, flag: { [bool]: true } } });
    expect(checkCall({ kind: 'optimized', service: 'dynamodb', action: 'putItem', params: item('BOOL'), where: 'p' })).toEqual([]);
    expect(checkCall({ kind: 'optimized', service: 'dynamodb', action: 'putItem', params: item('Bool'), where: 'p' }))
      .toEqual([expect.stringContaining('Bool is not a member of AttributeValue (did you mean BOOL?)')]);
    expect(checkCall({ kind: 'sdk', service: 'dynamodb', action: 'putItem', params: item('Bool'), where: 'p' })).toEqual([]);
  });

  test('an enum value the API does not list is refused', () => {
    const problems = checkCall({ kind: 'sdk', service: 'cloudwatch', action: 'describeAlarms', params: { AlarmTypes: ['MetricAlarm', 'AnomalyAlarm'], StateValue: 'FIRING' }, where: 'CheckAlarms' });
    expect(problems).toEqual([
      expect.stringMatching(/^CheckAlarms: DescribeAlarms\.AlarmTypes\[1\]: "AnomalyAlarm" is not a value of AlarmType: CompositeAlarm, MetricAlarm$/),
      expect.stringMatching(/^CheckAlarms: DescribeAlarms\.StateValue: "FIRING" is not a value of StateValue: OK, ALARM, INSUFFICIENT_DATA$/),
    ]);
  });

  test('a missing required member is refused; a dynamic one (.$) counts as given', () => {
    expect(checkCall({ kind: 'sdk', service: 'ecs', action: 'updateService', params: { Cluster: 'c' }, where: 'Deploy' }))
      .toEqual(['Deploy: UpdateService: required member Service is missing']);
    expect(checkCall({ kind: 'sdk', service: 'ecs', action: 'updateService', params: { 'Service.$': '$.service' }, where: 'Deploy' })).toEqual([]);
  });

  test('a dynamic value must be a path or an intrinsic function, and its member must exist', () => {
    expect(checkCall({ kind: 'sdk', service: 'ecs', action: 'updateService', params: { 'Service.$': 'svc' }, where: 'D' }))
      .toEqual(['D: UpdateService: Service.$ must be a JSONPath or an intrinsic function, got "svc"']);
    expect(checkCall({ kind: 'sdk', service: 'ecs', action: 'updateService', params: { 'Service.$': '$.s', 'Replicas.$': '$.n' }, where: 'D' }))
      .toEqual([expect.stringMatching(/^D: UpdateService: Replicas is not a member of UpdateServiceRequest/)]);
  });

  test('values the resolver knows for a dynamic member are checked too', () => {
    const params = { HostedZoneId: 'Z', ChangeBatch: { Changes: [{ 'Action': 'UPSERT', 'ResourceRecordSet.$': '$.record' }] } };
    const resolve = (p: string) => (p === '$.record' ? [{ Name: 'a', Type: 'A', AliasTarget: { HostedZoneId: 'Z', DNSName: 'x', EvaluateTargetHealth: false } }] : []);
    expect(checkCall({ kind: 'sdk', service: 'route53', action: 'changeResourceRecordSets', params, where: 'S', resolve }))
      .toEqual([expect.stringContaining('ResourceRecordSet (from $.record).AliasTarget: DNSName is not a member of AliasTarget'), expect.stringContaining('required member DnsName is missing')]);
  });

  test('a string never gets an object, a list gets a list, a structure an object, numbers and booleans their type', () => {
    const problems = checkCall({
      kind: 'sdk',
      service: 'ecs',
      action: 'updateService',
      where: 'U',
      params: { Cluster: { name: 'c' }, Service: 's', DesiredCount: '2', ForceNewDeployment: 'yes', PlacementConstraints: { type: 'distinctInstance' }, DeploymentConfiguration: [] },
    });
    expect(problems).toEqual([
      'U: UpdateService.Cluster: a string member (String) gets {"name":"c"}',
      'U: UpdateService.DesiredCount: a number member (integer) gets "2"',
      'U: UpdateService.PlacementConstraints: a list (PlacementConstraints) gets {"type":"distinctInstance"}',
      'U: UpdateService.DeploymentConfiguration: a structure (DeploymentConfiguration) gets []',
      'U: UpdateService.ForceNewDeployment: a boolean member gets "yes"',
    ].sort((a, b) => problems.indexOf(a) - problems.indexOf(b)));
    expect(problems).toHaveLength(5);
  });

  test('an optimized integration may give SNS Message and EventBridge Detail as objects (serialized), an SDK integration may not', () => {
    expect(checkCall({ kind: 'optimized', service: 'sns', action: 'publish', params: { TopicArn: 't', Message: { a: 1 } }, where: 'P' })).toEqual([]);
    expect(checkCall({ kind: 'optimized', service: 'events', action: 'putEvents', params: { Entries: [{ Source: 's', DetailType: 'd', Detail: { a: 1 } }] }, where: 'E' })).toEqual([]);
    expect(checkCall({ kind: 'sdk', service: 'sns', action: 'publish', params: { TopicArn: 't', Message: { a: 1 } }, where: 'P' }))
      .toEqual(['P: Publish.Message: a string member (message) gets {"a":1}']);
  });

  test('an operation the service does not have', () => {
    expect(checkCall({ kind: 'sdk', service: 'ecs', action: 'describeService', params: {}, where: 'X' })).toEqual([expect.stringMatching(/^X: ecs has no operation describeService/)]);
  });

  test('SSM Automation {{ parameters }} stand for any value; Config ResourceKey members are lower camel case', () => {
    expect(checkCall({ kind: 'api', service: 'elbv2', action: 'DescribeListeners', params: { ListenerArns: ['{{ ListenerArn }}'] }, where: 'D' })).toEqual([]);
    expect(checkCall({ kind: 'api', service: 'config', action: 'StartRemediationExecution', params: { ConfigRuleName: 'r', ResourceKeys: [{ resourceType: 'AWS::EC2::VPC', resourceId: 'vpc-1' }] }, where: 'C' })).toEqual([]);
    expect(checkCall({ kind: 'api', service: 'config', action: 'StartRemediationExecution', params: { ConfigRuleName: 'r', ResourceKeys: [{ ResourceType: 'AWS::EC2::VPC', resourceId: 'vpc-1' }] }, where: 'C' }))
      .toEqual([expect.stringContaining('ResourceType is not a member of ResourceKey (did you mean resourceType?)'), expect.stringContaining('required member resourceType is missing')]);
  });
});

describe('error names', () => {
  const ecs = 'arn:aws:states:::aws-sdk:ecs:describeServices';
  test('modeled errors, with the Exception suffix Step Functions adds, and the generic name of unmodeled ones', () => {
    expect(checkErrorNames(ecs, ['Ecs.ServerException', 'Ecs.EcsException', 'Ecs.SdkClientException', 'States.ALL', 'States.Timeout'], 'Describe')).toEqual([]);
    expect(checkErrorNames('arn:aws:states:::aws-sdk:route53:changeResourceRecordSets', ['Route53.PriorRequestNotCompleteException', 'Route53.ThrottlingException'], 'S')).toEqual([]);
    expect(checkErrorNames('arn:aws:states:::dynamodb:updateItem', ['DynamoDB.ConditionalCheckFailedException', 'DynamoDB.RequestLimitExceededException', 'DynamoDB.AmazonDynamoDBException'], 'U')).toEqual([]);
  });

  test('an error the service does not model, a name without the suffix, a wrong prefix, an unknown States error', () => {
    expect(checkErrorNames(ecs, ['Ecs.ThrottlingException'], 'Describe')).toEqual([
      'Describe: Ecs.ThrottlingException is not an error ecs models; errors it does not model arrive as Ecs.EcsException or Ecs.SdkClientException',
    ]);
    expect(checkErrorNames('arn:aws:states:::dynamodb:getItem', ['DynamoDB.RequestLimitExceeded'], 'G')).toEqual([
      expect.stringContaining('G: DynamoDB.RequestLimitExceeded is not an error dynamodb models (the API\'s RequestLimitExceeded reaches Step Functions as DynamoDB.RequestLimitExceededException)'),
    ]);
    // An AWS SDK integration reports the Java class: CloudWatch's InternalServiceFault is InternalServiceException.
    expect(checkErrorNames('arn:aws:states:::aws-sdk:cloudwatch:describeAlarms', ['CloudWatch.InternalServiceException', 'CloudWatch.CloudWatchException'], 'C')).toEqual([]);
    expect(checkErrorNames('arn:aws:states:::aws-sdk:cloudwatch:describeAlarms', ['CloudWatch.InternalServiceFaultException', 'CloudWatch.ThrottlingException'], 'C')).toEqual([
      'C: CloudWatch.InternalServiceFaultException is not an error cloudwatch models (the API\'s InternalServiceFault reaches Step Functions as CloudWatch.InternalServiceException); errors it does not model arrive as CloudWatch.CloudWatchException or CloudWatch.SdkClientException',
      'C: CloudWatch.ThrottlingException is not an error cloudwatch models; errors it does not model arrive as CloudWatch.CloudWatchException or CloudWatch.SdkClientException',
    ]);
    expect(checkErrorNames('arn:aws:states:::events:putEvents', ['EventBridge.FailedEntry', 'EventBridge.ThrottlingException'], 'E')).toEqual([]);
    expect(checkErrorNames(ecs, ['ECS.ServerException'], 'D')).toEqual(['D: ECS.ServerException: errors of arn:aws:states:::aws-sdk:ecs:describeServices are named Ecs.<Error>, not ECS']);
    expect(checkErrorNames(ecs, ['States.Throttled'], 'D')).toEqual([expect.stringMatching(/^D: States.Throttled is not an error Step Functions raises/)]);
  });

  test('a task-token task may receive any error a SendTaskFailure sends', () => {
    expect(checkErrorNames('arn:aws:states:::sns:publish.waitForTaskToken', ['CanaryDeployment.Aborted', 'SNS.ThrottledException'], 'R')).toEqual([]);
  });
});

describe('result paths', () => {
  test('paths in the output shape, with Java-style names for AWS SDK integrations', () => {
    expect(checkOutputPath('sdk', 'route53', 'changeResourceRecordSets', '$.ChangeInfo.Id', 'S')).toBeUndefined();
    expect(checkOutputPath('sdk', 'ecs', 'describeServices', '$.Services[0].Deployments[0].RolloutState', 'S')).toBeUndefined();
    expect(checkOutputPath('optimized', 'dynamodb', 'updateItem', '$.Attributes.liveSlot.S', 'S')).toBeUndefined();
    expect(checkOutputPath('sdk', 'route53', 'changeResourceRecordSets', '$.ChangeInfo.ChangeId', 'S')).toMatch(/ChangeId is not a member of the ChangeResourceRecordSets output at \$\.ChangeInfo/);
    expect(checkOutputPath('sdk', 'ecs', 'describeServices', '$.Services.DesiredCount', 'S')).toMatch(/\$\.Services is a list, it has no member DesiredCount/);
    expect(checkOutputPath('sdk', 'elbv2', 'describeLoadBalancers', '$.LoadBalancers[0].DNSName', 'S')).toMatch(/DNSName is not a member/);
    expect(checkOutputPath('sdk', 'elbv2', 'describeLoadBalancers', '$.LoadBalancers[0].DnsName', 'S')).toBeUndefined();
  });

  test('parsePath reads simple paths only', () => {
    expect(parsePath('$.a.b[0].c')).toEqual(['a', 'b', 0, 'c']);
    expect(parsePath('$$.Task.Token')).toBeUndefined();
    expect(parsePath('$.a[*]')).toBeUndefined();
  });
});

test('the models are AWS\'s: operations, required members and enums come from the installed SDK packages', () => {
  const route53 = model('route53');
  expect(route53.min.metadata.uid).toBe('route53-2013-04-01');
  expect(route53.dts.types.RRType).toEqual(expect.objectContaining({ kind: 'enum', values: expect.arrayContaining(['A', 'CNAME', 'TXT']) }));
  expect(model('ecs').errors.has('ServerException')).toBe(true);
  expect(model('ecs').errors.has('ThrottlingException')).toBe(false);
});
