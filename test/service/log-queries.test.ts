import { Template } from 'aws-cdk-lib/assertions';
import { IMAGE, withEnvironment } from './fixtures';
import { jsonLine } from '../../examples/store/services/workers/src/loop';
import { TwelveFactorService, TwelveFactorServiceProps } from '../../src';
import { TRACE_ID_PLACEHOLDER, queryStrings } from '../../src/service/service-queries';

/** The saved Logs Insights queries of a service (`createLogQueries`, on by default). */
function service(props: Partial<TwelveFactorServiceProps> = {}) {
  const { stack, env } = withEnvironment();
  const s = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, user: '1000', ...props });
  return { stack, env, service: s, template: Template.fromStack(stack) };
}

describe('saved queries of a service', () => {
  test('three queries over the service\'s log group, in the folder <environment path>/<service name>', () => {
    const { template, service: s, stack } = service();
    const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition')) as any[];
    expect(queries.map((q) => q.Properties.Name).sort()).toEqual([
      'Test/Env/users/Errors by release',
      `Test/Env/users/Log lines of a trace (replace ${TRACE_ID_PLACEHOLDER})`,
      'Test/Env/users/Slowest requests',
    ]);
    const logGroup = stack.resolve(s.logGroup.logGroupName);
    for (const q of queries) expect(q.Properties.LogGroupNames).toEqual([logGroup]);
    expect(s.logQueries).toHaveLength(3);
  });

  test('errors by release: the error word of the metric filter or an error level, counted by release', () => {
    const { template } = service({ errorLogPattern: 'Exception' });
    const [errors] = (Object.values(template.findResources('AWS::Logs::QueryDefinition')) as any[])
      .filter((q) => q.Properties.Name.endsWith('Errors by release'));
    expect(errors.Properties.QueryString).toBe(queryStrings('Exception').errorsByRelease);
    expect(errors.Properties.QueryString).toContain('filter @message like /Exception/ or level in ["error", "ERROR", "fatal", "FATAL"]');
    expect(errors.Properties.QueryString).toContain('stats count(*) as errors, latest(@message) as lastError by release');
  });

  test('a word with characters of regular expressions is escaped', () => {
    expect(queryStrings('E.R+R').errorsByRelease).toContain('/E\\.R\\+R/');
  });

  test('createLogQueries: false saves none', () => {
    const { template, service: s } = service({ createLogQueries: false });
    template.resourceCountIs('AWS::Logs::QueryDefinition', 0);
    expect(s.logQueries).toEqual([]);
  });

  test('the reference app logs the fields the queries read: release (RELEASE_ID), level, msg', () => {
    const written: string[] = [];
    const write = process.stdout.write;
    const before = process.env.RELEASE_ID;
    process.env.RELEASE_ID = 'registry.example.com/workers:v7';
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      jsonLine({ level: 'error', msg: 'delivery failed' });
    } finally {
      process.stdout.write = write;
      if (before === undefined) delete process.env.RELEASE_ID;
      else process.env.RELEASE_ID = before;
    }
    const line = JSON.parse(written.join(''));
    expect(line).toEqual({ release: 'registry.example.com/workers:v7', level: 'error', msg: 'delivery failed' });
    const text = queryStrings('ERROR');
    for (const field of ['release', 'level', 'msg']) expect(text.errorsByRelease).toContain(field);
  });

  test('createLogQueries of the wrong kind is refused naming it', () => {
    expect(() => service({ createLogQueries: 'yes' as unknown as boolean })).toThrow(/`createLogQueries`/);
  });
});
