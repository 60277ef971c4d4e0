// Sends one text with the official ACS JS client (@azure/communication-sms), to prove the SMS sandbox accepts what the
// real client sends and signs.
// Usage: node send-sms.mjs <connectionString> <from> <to> <message> [--tag T] [--base-url URL]
//   --base-url: core-client's `endpoint` option, the base the requests go to (the client refuses a connection string
//               whose endpoint has a path, so a sandbox mapped under a prefix is reached this way).
// Prints one JSON line: {"ok":true,"results":[...]} or {"ok":false,"statusCode":...,"code":...,"message":...}.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const { SmsClient } = require("@azure/communication-sms");

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tag: { type: "string" }, "base-url": { type: "string" } },
});
const [connectionString, from, to, message] = positionals;
if (!connectionString || !from || !to || message === undefined) {
  console.error("usage: node send-sms.mjs <connectionString> <from> <to> <message> [--tag T] [--base-url URL]");
  process.exit(2);
}

// The sandbox listens on plain http on loopback; the client refuses that unless told otherwise.
const client = new SmsClient(connectionString, {
  allowInsecureConnection: true,
  retryOptions: { maxRetries: 0 },
  ...(values["base-url"] ? { endpoint: values["base-url"] } : {}),
});

try {
  const results = await client.send(
    { from, to: [to], message },
    { enableDeliveryReport: true, ...(values.tag ? { tag: values.tag } : {}) },
  );
  console.log(JSON.stringify({ ok: true, results }));
} catch (error) {
  console.log(JSON.stringify({
    ok: false,
    statusCode: error?.statusCode ?? null,
    code: error?.code ?? null,
    message: String(error?.message ?? error),
  }));
  process.exitCode = 1;
}
