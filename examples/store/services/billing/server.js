// The billing API of the reference app: runs in its own VPC and is reached by other VPCs only
// through AWS PrivateLink (the load balancer terminates TLS and forwards plain TCP here).
// Answers /health for the container health check and logs to stdout.
const http = require('http');

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  console.log(JSON.stringify({ method: req.method, path: req.url }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: 'billing', release: process.env.RELEASE_ID }));
});
server.listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
