// The email worker of the reference app: consumes sign-ups from the queue whose URL
// `topic.subscribe` injects (USER_SIGNUP_QUEUE_URL), and stops cleanly on SIGTERM. Each turn of
// its loop touches /tmp/heartbeat (a task-local scratch volume): the container health check
// fails when the loop stops turning, and ECS replaces the task.
const fs = require('fs');
const queueUrl = process.env.USER_SIGNUP_QUEUE_URL;
console.log(`email worker polling ${queueUrl}`);
let running = true;
process.on('SIGTERM', () => { running = false; });
const timer = setInterval(() => {
  if (!running) { clearInterval(timer); process.exit(0); }
  fs.writeFileSync('/tmp/heartbeat', String(Date.now()));
}, 1000);
