'use strict';
/**
 * What every custom resource provider of cdk-microservices does the same way: answer CloudFormation
 * by PUTting the response to the pre-signed event.ResponseURL
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html), a
 * body of at most 4096 bytes, and the Lambda entry point around a provider's `handle`: log the
 * request (without its pre-signed URL), turn any error into a FAILED response (a function that
 * crashed would leave the stack waiting), log the response, send it.
 *
 * Plain CommonJS, no dependency (the Lambda Node.js runtime).
 */
const http = require('http');
const https = require('https');
const { URL } = require('url');

/** A CloudFormation response body may hold at most 4096 bytes. */
const MAX_RESPONSE_BYTES = 4096;

/**
 * The JSON body of a response, its Reason shortened so the body keeps to 4096 bytes. A body that
 * is still too long (Data) becomes a FAILED response pointing at the function's logs (`logs`).
 */
function responseBody(response, logs) {
  let body = JSON.stringify(response);
  if (Buffer.byteLength(body, 'utf8') <= MAX_RESPONSE_BYTES) return body;
  const reason = String(response.Reason || '');
  let keep = reason.length;
  while (keep > 0) {
    keep = Math.max(0, keep - Math.max(16, Buffer.byteLength(body, 'utf8') - MAX_RESPONSE_BYTES));
    body = JSON.stringify({ ...response, Reason: `${reason.slice(0, keep)} [...]` });
    if (Buffer.byteLength(body, 'utf8') <= MAX_RESPONSE_BYTES) return body;
  }
  return JSON.stringify({ ...response, Status: 'FAILED', Reason: `see the CloudWatch logs of the ${logs}`, Data: {} });
}

/** PUTs the response to the pre-signed URL CloudFormation gave (https; http for local tests). */
function sendResponse(responseUrl, response, logs) {
  const body = responseBody(response, logs);
  const url = new URL(responseUrl);
  const client = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: 'PUT',
      // The URL is pre-signed without a content type: send none.
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body, 'utf8') },
      timeout: 30000,
    }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve(res.statusCode);
        else reject(new Error(`the response URL answered HTTP ${res.statusCode}`));
      });
    });
    request.on('timeout', () => request.destroy(new Error('the response URL did not answer in 30 s')));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The Lambda entry point of a provider: `handle(event)` answers the response (and never throws,
 * but if it does, the response is FAILED with the error); `failedId(event)` is the physical id of
 * a resource whose Create failed; `logs` names the function in a Reason. A response that cannot
 * be sent throws: Lambda retries the asynchronous invocation (every provider is idempotent).
 */
function lambdaHandler(handle, failedId, logs) {
  return async (event) => {
    let response;
    try {
      const { ResponseURL: _url, ...logged } = event || {};
      console.log(JSON.stringify({ request: logged }));
      response = await handle(event);
    } catch (e) {
      response = {
        Status: 'FAILED',
        Reason: `unexpected error: ${(e && e.message) || String(e)}`,
        StackId: event && event.StackId,
        RequestId: event && event.RequestId,
        LogicalResourceId: event && event.LogicalResourceId,
        PhysicalResourceId: (event && event.PhysicalResourceId) || failedId(event || {}),
        Data: {},
      };
    }
    const { Status, Reason, PhysicalResourceId, Data } = response;
    console.log(JSON.stringify({ response: { Status, Reason, PhysicalResourceId, Data } }));
    await sendResponse(event.ResponseURL, response, logs);
    return response;
  };
}

/** The name of an error as the AWS SDK for JavaScript v3 gives it. */
function errorName(e) {
  return e && (e.name || e.Code || e.code);
}

/**
 * The FAILED response to `event` for the error `e`: its message as the Reason if `expected` (an
 * input the provider refuses, said in its own words), else the error's name and message. The
 * physical id stays that of the resource, or `failedId(event)` for a Create.
 */
function failedResponse(event, e, expected, failedId) {
  return {
    Status: 'FAILED',
    Reason: expected ? e.message : `${errorName(e) || 'Error'}: ${(e && e.message) || String(e)}`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    PhysicalResourceId: event.RequestType === 'Create' || !event.PhysicalResourceId ? failedId(event) : event.PhysicalResourceId,
    Data: {},
  };
}

module.exports = {
  MAX_RESPONSE_BYTES,
  errorName,
  failedResponse,
  responseBody,
  sendResponse,
  lambdaHandler,
};
