// The users web service of the reference app: reads its table name from the environment
// (injected by `attach`), answers /health for the load balancer and logs to stdout.
const http = require('http');

const table = process.env.USERS_TABLE_NAME;
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: 'users', table, release: process.env.RELEASE_ID }));
});
server.listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
