import {
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { AdminTask, AdminTaskOptions } from './admin-task';
import type { BackingService } from './backing-service';
import { IMicroserviceEnvironment } from '../environment/environment-interface';

/**
 * A twelve-factor service as the other constructs use it: connectable (its tasks' security
 * group) and grantable (its task role is the grant principal). `TwelveFactorService`
 * implements it; every construct that takes a service takes this interface.
 */
export interface ITwelveFactorService extends IConstruct, ec2.IConnectable, iam.IGrantable {
  /** The service's name, unique in its environment. */
  readonly serviceName: string;
  /** The environment the service runs in. */
  readonly environment: IMicroserviceEnvironment;
  /** The ECS service. */
  readonly service: ecs.FargateService;
  /** The task definition. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The app container. */
  readonly container: ecs.ContainerDefinition;
  /** The task role: what the app may do (the grant principal). */
  readonly taskRole: iam.IRole;
  /** The execution role: what ECS may do to start the task. */
  readonly executionRole: iam.IRole;
  /** The security group of the tasks. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The CPU architecture of the tasks. */
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** How long ECS waits for the app to exit after SIGTERM. */
  readonly stopTimeout: Duration;
  /** The fewest tasks. */
  readonly minTasks: number;
  /** The most tasks. */
  readonly maxTasks: number;
  /**
   * The port, when the service listens on one.
   * @default - a worker: no port
   */
  readonly port?: number;
  /**
   * Auto scaling of the task count, when `maxTasks` is above `minTasks`.
   * @default - fixed task count
   */
  readonly scaling?: ecs.ScalableTaskCount;
  /**
   * The second target group of BLUE_GREEN, LINEAR and CANARY deployments.
   * @default - none
   */
  readonly alternateTargetGroup?: elbv2.ApplicationTargetGroup;

  /** Attaches a backing service (IV): grants access and injects its locator. */
  attach(backing: BackingService): void;
  /** Adds an environment variable to the app and its admin tasks. */
  addEnvironment(name: string, value: string): void;
  /** Adds a secret environment variable to the app and its admin tasks. */
  addSecret(name: string, secret: ecs.Secret): void;
  /** Adds an alarm that rolls an ECS deployment of this service back when it goes off. */
  addDeploymentAlarm(alarm: cloudwatch.IAlarm): void;
  /** Lets another service (or any connectable) open connections to this service's port. */
  allowFrom(other: ec2.IConnectable): void;
  /** Adds an admin process (XII) run by hand or on a schedule. */
  addAdminTask(name: string, options: AdminTaskOptions): AdminTask;
  /** Error log lines per minute (XI). */
  metricErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Average CPU utilization of the service. */
  metricCpuUtilization(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Average memory utilization of the service. */
  metricMemoryUtilization(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Running tasks of the service (Container Insights `RunningTaskCount`). */
  metricRunningTaskCount(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
}
