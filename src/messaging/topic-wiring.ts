/**
 * What every topic does for its publishers and subscribers, whether a bus of this app created
 * it (`EventTopic`) or another app did (`EventTopic.fromEventTopicAttributes`): the checks of
 * `subscribe`, `asBackingService` and `grantPublish`, and the backing service publishers
 * attach. Module-private: not exported from the package.
 */
import { aws_ec2 as ec2, aws_iam as iam } from 'aws-cdk-lib';
import { EventSubscription, SubscribeOptions } from './event-subscription';
import type { IEventTopic, PublishOptions } from './event-topic-interface';
import { membersOf } from './registry';
import { requireEndpoint } from '../environment/environment-support';
import { envVarPrefixProblem, Problems, show } from '../private/validation';
import { Access, BackingService, BackingServiceBinding } from '../service/backing-service';
import { ITwelveFactorService } from '../service/service-interface';
import { integrationVariableTaken, isTwelveFactorService } from '../service/twelve-factor-service';

/** What a topic checks or records about a service that publishes to it or subscribes. */
export type ServiceCheck = (service: ITwelveFactorService) => void;

/**
 * Subscribes `service` to `topic` (see `IEventTopic.subscribe`): the subscription is created
 * under the service, as `<idBase>` (then `<idBase>-2`...), so that it lands in its stack.
 */
export function subscribeService(
  className: string, topic: IEventTopic, idBase: string, service: ITwelveFactorService, options: SubscribeOptions | undefined,
  check?: ServiceCheck,
): EventSubscription {
  if (!isTwelveFactorService(service)) {
    Problems.reject(className, topic, `\`subscribe\` needs an ITwelveFactorService; got ${show(service)}`);
  }
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    Problems.reject(className, topic, `\`options\` ${show(options)} of \`subscribe\` is not a SubscribeOptions object`);
  }
  if (membersOf(topic).subscriptions.has(service.node.path)) {
    Problems.reject(className, topic,
      `\`subscribe\`: ${service.node.path} already subscribes to the ${topic.name} topic; subscribe a service to a topic once (use one filter policy that covers what it needs)`,
    );
  }
  check?.(service);
  let id = idBase;
  for (let n = 2; service.node.tryFindChild(id); n++) id = `${idBase}-${n}`;
  // The subscription registers with the topic in its constructor.
  return new EventSubscription(service, id, { ...options ?? {}, topic, service });
}

/** Lets a principal publish to the topic (see `IEventTopic.grantPublish`). */
export function grantPublishOn(className: string, topic: IEventTopic, grantee: iam.IGrantable): iam.Grant {
  if (!grantee || typeof grantee !== 'object' || typeof grantee.grantPrincipal !== 'object') {
    Problems.reject(className, topic, `\`grantPublish\` needs an iam.IGrantable (a role, a user or a service); got ${show(grantee)}`);
  }
  return topic.topic.grantPublish(grantee);
}

/** The topic as a backing service its publishers attach (see `IEventTopic.asBackingService`). */
export function publishBacking(className: string, topic: IEventTopic, options: PublishOptions | undefined, check?: ServiceCheck): BackingService {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    Problems.reject(className, topic, `\`options\` ${show(options)} of \`asBackingService\` is not a PublishOptions object`);
  }
  Problems.throwAll(className, topic, [envVarPrefixProblem(options?.envVarPrefix)]);
  return new TopicPublishBacking(topic, options?.envVarPrefix ?? topic.envVarPrefix, check);
}

/**
 * A topic attached to a service that publishes to it: the grant, the `<PREFIX>_TOPIC_ARN`
 * variable and the SNS endpoint; the topic lists the service among its publishers.
 */
class TopicPublishBacking extends BackingService {
  public readonly resource: IEventTopic;
  public readonly access = Access.READ_WRITE;
  /** The prefix of the variable, given or the topic's (compared when attached again). */
  public readonly envVarPrefix: string;

  constructor(private readonly eventTopic: IEventTopic, prefix: string, private readonly check?: ServiceCheck) {
    super();
    this.resource = eventTopic;
    this.envVarPrefix = prefix;
  }

  public bind(service: ITwelveFactorService): BackingServiceBinding {
    const envVarName = `${this.envVarPrefix}_TOPIC_ARN`;
    const publishers = membersOf(this.eventTopic).publishers;
    // Checked before granting: the variable is set by \`attach\` once the bind returns.
    if (integrationVariableTaken(service, envVarName)) {
      Problems.reject('TwelveFactorService', service,
        `environment variable ${envVarName} from ${this.eventTopic.node.path} is already set on ${service.node.path}; pass another \`envVarPrefix\` to \`asBackingService\``,
      );
    }
    this.check?.(service);
    const grant = this.eventTopic.topic.grantPublish(service.taskRole);
    // Without a NAT gateway the task reaches SNS through the environment's endpoint.
    requireEndpoint(service.environment, ec2.InterfaceVpcEndpointAwsService.SNS);
    publishers.set(service.node.path, { service, envVarName, grant });
    return {
      environment: { [envVarName]: this.eventTopic.topic.topicArn },
      description: `SNS topic ${this.eventTopic.name} of the message bus (publish)`,
    };
  }
}
