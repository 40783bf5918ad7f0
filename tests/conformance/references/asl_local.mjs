// Runs conformance cases on aws-local-stepfunctions: JSON cases on stdin, JSON outcomes on stdout.
// Mocked Task states become local handlers (Return gives the result, Throw raises an error of
// that name); Wait durations and Retry intervals are overridden to 0 ms (timing is not compared).
// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); the machine's Node 20 lacks
// it, so the runner supplies the standard ES2024 function before the library loads.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
// ASL_LOCAL_ENTRY: the package's ESM entry file (the Python side finds it under .cache/asl-local).
const { StateMachine, ExecutionTimeoutError } = await import(process.env.ASL_LOCAL_ENTRY || 'aws-local-stepfunctions');

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));

function walk(definition, visit) {
  for (const [name, state] of Object.entries(definition.States || {})) {
    visit(name, state);
    for (const branch of state.Branches || []) walk(branch, visit);
    for (const key of ['ItemProcessor', 'Iterator']) if (state[key]) walk(state[key], visit);
  }
}

function answer(body, invocation) {
  for (const [key, value] of Object.entries(body)) {
    const [first, last] = key.split('-').map(Number);
    if (invocation >= first && invocation <= (last ?? first)) return value;
  }
  return { Throw: { Error: 'States.Runtime', Cause: `no mocked answer for invocation ${invocation}` } };
}

async function runCase(c) {
  const waits = {};
  const retries = {};
  const handlers = {};
  walk(c.definition, (name, state) => {
    if (state.Type === 'Wait') waits[name] = 0;
    if (state.Retry) retries[name] = 0;
  });
  for (const [name, body] of Object.entries(c.mocks || {})) {
    let invocation = 0;
    handlers[name] = async () => {
      const found = answer(body, invocation++);
      if ('Return' in found) return found.Return;
      const error = new Error(found.Throw.Cause || '');
      error.name = found.Throw.Error;
      throw error;
    };
  }
  let machine;
  try {
    machine = new StateMachine(c.definition);
  } catch (e) {
    return { id: c.id, refused: true, message: String(e.message || e) };
  }
  const execution = machine.run(c.input, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      Execution: { Input: c.input, Name: 'conformance', StartTime: new Date().toISOString() },
      StateMachine: { Name: 'Conformance' },
    },
  });
  try {
    const output = await execution.result;
    return { id: c.id, status: 'SUCCEEDED', output: output === undefined ? null : output };
  } catch (e) {
    if (e instanceof ExecutionTimeoutError) return { id: c.id, status: 'TIMED_OUT', error: 'States.Timeout', cause: '' };
    const inner = e.cause || e;
    return { id: c.id, status: 'FAILED', error: inner.name ?? null, cause: inner.message ?? null };
  }
}

const out = [];
for (const c of cases) {
  try {
    out.push(await runCase(c));
  } catch (e) {
    out.push({ id: c.id, status: 'CRASHED', error: String(e && e.name), cause: String(e && e.message) });
  }
}
process.stdout.write(JSON.stringify(out));
