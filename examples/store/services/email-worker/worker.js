// The email worker of the reference app: polls the queue whose URL `attach` injects.
const queueUrl = process.env.SIGNUPS_QUEUE_URL;
console.log(`email worker polling ${queueUrl}`);
let running = true;
process.on('SIGTERM', () => { running = false; });
const timer = setInterval(() => { if (!running) { clearInterval(timer); process.exit(0); } }, 1000);
