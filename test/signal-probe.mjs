// Loaded with `node --import` by daemon/entry-node.test.ts: when the daemon prints its "is listening" line,
// says on stderr how many SIGTERM handlers it had at that moment (a supervisor may signal right after the line).
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (String(chunk).includes(' is listening on ')) process.stderr.write(`[probe] SIGTERM handlers at the listening line: ${process.listenerCount('SIGTERM')}\n`);
  return write(chunk, ...rest);
};
