/**
 * What every custom resource provider answers CloudFormation through (assets/providers/response.js,
 * used by the claims and canary live state functions): the PUT of the response to the pre-signed
 * URL, a body of at most 4096 bytes, and the Lambda entry point that turns an error into FAILED and
 * throws when the response cannot be sent. The providers' own tests check what each one answers.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
import { withServer } from '../response-server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const response = require('../../assets/providers/response.js');

const STACK = 'arn:aws:cloudformation:us-east-1:111111111111:stack/Shop/1';
const RESPONSE = { Status: 'SUCCESS', PhysicalResourceId: 'p', StackId: STACK, RequestId: 'r', LogicalResourceId: 'l', Data: { A: '1' } };

beforeEach(() => jest.spyOn(console, 'log').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

test('a PUT of the JSON response to ResponseURL, with no content type (the URL is signed without one) and its length', async () => {
  await withServer(200, async (url, received) => {
    await response.sendResponse(url, RESPONSE, 'test function');
    expect(received).toHaveLength(1);
    expect(received[0].method).toBe('PUT');
    expect(received[0].url).toBe('/response?X-Amz-Signature=abc');
    expect(received[0].headers['content-type']).toBe('');
    expect(Number(received[0].headers['content-length'])).toBe(Buffer.byteLength(received[0].body));
    expect(JSON.parse(received[0].body)).toEqual(RESPONSE);
  });
});

test('the body keeps to 4096 bytes: a long Reason is shortened; Data too long for any Reason becomes FAILED pointing at the logs', async () => {
  await withServer(200, async (url, received) => {
    await response.sendResponse(url, { ...RESPONSE, Status: 'FAILED', Reason: 'x'.repeat(10000), Data: {} }, 'test function');
    expect(Buffer.byteLength(received[0].body)).toBeLessThanOrEqual(4096);
    expect(JSON.parse(received[0].body).Reason).toMatch(/^x+ \[\.\.\.\]$/);
  });
  expect(JSON.parse(response.responseBody({ ...RESPONSE, Data: { A: 'a'.repeat(5000) } }, 'test function'))).toEqual({
    ...RESPONSE, Status: 'FAILED', Reason: 'see the CloudWatch logs of the test function', Data: {},
  });
});

test('the entry point: an error of the provider is sent as FAILED with the physical id for a failed Create', async () => {
  const handler = response.lambdaHandler(async () => {
    throw new Error('boom');
  }, () => 'failed-id', 'test function');
  await withServer(200, async (url, received) => {
    await handler({ RequestType: 'Create', StackId: STACK, RequestId: 'r', LogicalResourceId: 'l', ResponseURL: url });
    expect(JSON.parse(received[0].body)).toEqual({
      Status: 'FAILED', Reason: 'unexpected error: boom', StackId: STACK, RequestId: 'r', LogicalResourceId: 'l', PhysicalResourceId: 'failed-id', Data: {},
    });
  });
});

test('a response URL answering an error: the entry point throws so that Lambda retries the invocation', async () => {
  const handler = response.lambdaHandler(async () => RESPONSE, () => 'failed-id', 'test function');
  await withServer(403, async (url) => {
    await expect(handler({ RequestType: 'Delete', ResponseURL: url })).rejects.toThrow(/HTTP 403/);
  });
});
