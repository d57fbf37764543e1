import { aws_cloudwatch as cloudwatch, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { queueMessagesVisible } from '../observability/signals';

/**
 * An alarm that goes off as soon as a queue holds a message (a dead-letter queue, an alerts
 * queue nobody reads): the most messages visible in one minute, at least 1; no data is fine.
 * @internal
 */
export function queueNotEmptyAlarm(
  scope: Construct, id: string, queue: sqs.IQueue, action: cloudwatch.IAlarmAction, description: string,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    // The one definition a dashboard's dead-letter depth reads too.
    metric: queueMessagesVisible(queue),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(action);
  return alarm;
}
