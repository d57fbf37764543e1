/**
 * The CloudWatch Logs Insights queries a team needs during an incident, saved with each service
 * (`AWS::Logs::QueryDefinition`, no charge: a query is billed by the data it scans when it runs):
 * errors by release, the slowest requests, and a trace id's log lines. They read the fields of
 * JSON log lines (Logs Insights discovers the fields of JSON events by itself), as the library
 * documents the logging contract: `level`, `msg`, `release` (RELEASE_ID), `durationMs`, `path`,
 * `status`, `traceId`.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html
 */
import { aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** What stands for the trace id in the saved query of a trace's log lines (replace it before running). */
export const TRACE_ID_PLACEHOLDER = 'TRACE_ID';

/** The saved queries of a service. */
export interface ServiceQueries {
  readonly errorsByRelease: logs.CfnQueryDefinition;
  readonly slowestRequests: logs.CfnQueryDefinition;
  readonly traceLogLines: logs.CfnQueryDefinition;
}

/**
 * The query texts: errors (the lines the error metric counts, `errorWord`, or `level` error or
 * fatal) counted by release and shown newest first; requests by duration; a trace's lines.
 */
export function queryStrings(errorWord: string): { errorsByRelease: string; slowestRequests: string; traceLogLines: string } {
  // A word as a regular expression (the error word has no spaces or quotes: validated).
  const word = errorWord.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return {
    errorsByRelease: [
      'fields @timestamp, release, level, msg, @message',
      `filter @message like /${word}/ or level in ["error", "ERROR", "fatal", "FATAL"]`,
      'stats count(*) as errors, latest(@message) as lastError by release',
      'sort errors desc',
    ].join('\n| '),
    slowestRequests: [
      'fields @timestamp, release, path, status, durationMs, traceId',
      'filter ispresent(durationMs)',
      'sort durationMs desc',
      'limit 50',
    ].join('\n| '),
    traceLogLines: [
      'fields @timestamp, release, level, msg, @message',
      `filter traceId = "${TRACE_ID_PLACEHOLDER}" or @message like "${TRACE_ID_PLACEHOLDER}"`,
      'sort @timestamp asc',
      'limit 1000',
    ].join('\n| '),
  };
}

/**
 * Saves the queries of a service over its log groups, named `<folder>/Errors by release` and so
 * on (a `/` makes a folder in the console's list of saved queries). The query text is written
 * whole (the L1 resource: `logs.QueryString` composes statements of one kind in a fixed order).
 */
export function createServiceQueries(scope: Construct, folder: string, logGroups: logs.ILogGroup[], errorWord: string): ServiceQueries {
  const text = queryStrings(errorWord);
  // PutQueryDefinition refuses ':' and '*' in a name.
  const safeFolder = folder.replace(/[:*]/g, '-');
  const query = (id: string, name: string, queryString: string) => new logs.CfnQueryDefinition(scope, id, {
    name: `${safeFolder}/${name}`.slice(0, 255),
    queryString,
    logGroupNames: logGroups.map((g) => g.logGroupName),
  });
  return {
    errorsByRelease: query('ErrorsByReleaseQuery', 'Errors by release', text.errorsByRelease),
    slowestRequests: query('SlowestRequestsQuery', 'Slowest requests', text.slowestRequests),
    traceLogLines: query('TraceLogLinesQuery', `Log lines of a trace (replace ${TRACE_ID_PLACEHOLDER})`, text.traceLogLines),
  };
}
