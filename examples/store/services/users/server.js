// The users web service of the reference app: reads its table name from the environment
// and the billing API's address (injected by `attach`), answers /health for the load balancer and logs to stdout.
const http = require('http');

const table = process.env.USERS_TABLE_NAME;
// The billing API, in its own VPC, through the PrivateLink endpoint `attach` injected.
const billing = `https://${process.env.BILLING_HOST}:${process.env.BILLING_PORT}`;
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: 'users', table, billing, release: process.env.RELEASE_ID }));
});
server.listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
