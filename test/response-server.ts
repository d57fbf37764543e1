/**
 * A local HTTP server standing for the pre-signed S3 URL CloudFormation gives a custom resource
 * (event.ResponseURL), for the tests of the providers' handlers (assets/providers/): it records
 * each request and answers `status`.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** A request the server received. */
export interface Received { method?: string; headers: http.IncomingHttpHeaders; body: string; url?: string }

export async function withServer(status: number, run: (url: string, received: Received[]) => Promise<void>): Promise<void> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body, url: req.url });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=abc`, received);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
