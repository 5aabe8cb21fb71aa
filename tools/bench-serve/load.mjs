// tools/bench-serve/load.mjs: a bounded loopback load generator for `leash serve` (run by run.sh).
//
//   node load.mjs grant   --url U --secret S --account A --token T [--chain-id N] [--signer ADDR]
//       one wallet_grantPermissions (ERC-7715, chainId and address in the request; server-held key unless
//       --signer); prints the permissions context.
//   node load.mjs load    --url U --secret S --account A --token T --context C [--method leash_signCalls]
//                         [--concurrency 32] [--requests 20000] [--label L] [--json-out FILE]
//       C clients on keep-alive connections send N requests in all (a fixed count: it stops by itself),
//       each a `--method` call (leash_signCalls: server-side prepare + sign + audit entry, not submitted;
//       wallet_prepareCalls: prepare only) of one ERC-20 transfer for the session. Prints one human line on
//       stderr and one JSON object on stdout: requests, ok, errors, seconds, ops/s, p50/p90/p99/max (ms).
//   node load.mjs sign-raw [--requests 20000]
//       node's own secp256k1 signing rate (viem's account.sign over random hashes), for comparison.
//
// Plain node:http with a keep-alive agent (no npm dependency beyond viem, which is only used for
// encoding and the raw-signing figure): the generator must stay cheap, it shares the cores with the server.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { encodeFunctionData, numberToHex, parseAbi, parseEther } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

function parseArgs(argv) {
    const [command, ...rest] = argv;
    const options = {};
    for (let i = 0; i < rest.length; i += 1) {
        const key = rest[i];
        if (!key.startsWith('--')) throw new Error(`unexpected argument ${key}`);
        const value = rest[i + 1];
        if (value === undefined || value.startsWith('--')) throw new Error(`${key} needs a value`);
        options[key.slice(2)] = value;
        i += 1;
    }
    return { command, options };
}

function need(options, name) {
    if (options[name] === undefined) throw new Error(`--${name} is required`);
    return options[name];
}

// One JSON-RPC POST on `agent`; resolves {status, text}.
function post(agent, url, secret, body) {
    return new Promise((resolve, reject) => {
        const request = http.request(url, {
            method: 'POST',
            agent,
            headers: {
                'content-type': 'application/json',
                'content-length': body.length,
                authorization: `Bearer ${secret}`,
            },
        }, (response) => {
            const chunks = [];
            response.on('data', (chunk) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
            response.on('error', reject);
        });
        request.on('error', reject);
        request.end(body);
    });
}

const erc20 = parseAbi(['function transfer(address to, uint256 amount) returns (bool)']);
const RECIPIENT = '0x000000000000000000000000000000000000bEEF';

async function grant(options) {
    const url = need(options, 'url');
    const chainId = Number(options['chain-id'] ?? 31337);
    const request = {
        chainId: numberToHex(chainId),
        address: need(options, 'account'),
        expiry: Math.floor(Date.now() / 1000) + 86400,
        permissions: [
            {
                type: 'erc20-token-transfer',
                data: { address: need(options, 'token'), ticker: 'TKN' },
                // Large enough for every op of the run: leash_signCalls does not submit, but the server
                // may count what it signed.
                policies: [{ type: 'token-allowance', data: { allowance: numberToHex(10n ** 30n) } }],
                required: true,
            },
            { type: 'gas-limit', data: { limit: numberToHex(parseEther('1000')) }, policies: [], required: true },
        ],
    };
    if (options.signer) request.signer = { type: 'account', data: { id: options.signer } };
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'wallet_grantPermissions', params: [request] }));
    const agent = new http.Agent({ keepAlive: false });
    const { status, text } = await post(agent, url, need(options, 'secret'), body);
    let reply;
    try {
        reply = JSON.parse(text);
    } catch {
        throw new Error(`wallet_grantPermissions: HTTP ${status}: ${text}`);
    }
    const context = reply.result?.permissionsContext ?? reply.result?.context;
    if (status !== 200 || !context) throw new Error(`wallet_grantPermissions: HTTP ${status}: ${text}`);
    process.stdout.write(`${context}\n`);
}

function percentile(sorted, p) {
    if (sorted.length === 0) return 0;
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[index];
}

async function load(options) {
    const url = need(options, 'url');
    const secret = need(options, 'secret');
    const method = options.method ?? 'leash_signCalls';
    const concurrency = Number(options.concurrency ?? 32);
    const total = Number(options.requests ?? 20000);
    const label = options.label ?? 'serve';
    if (!(concurrency >= 1 && total >= 1)) throw new Error('--concurrency and --requests must be at least 1');

    const call = {
        to: need(options, 'token'),
        data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [RECIPIENT, 1n] }),
        value: '0x0',
    };
    const params = {
        version: '2.0.0',
        chainId: numberToHex(Number(options['chain-id'] ?? 31337)),
        from: need(options, 'account'),
        calls: [call],
        atomicRequired: true,
        capabilities: {
            permissions: { context: need(options, 'context') },
            // Fixed gas: with no bundler the server would use its defaults anyway; fixed figures keep
            // the work per request identical.
            leash: {
                gas: {
                    callGasLimit: '0x30d40',
                    verificationGasLimit: '0x61a80',
                    preVerificationGas: '0xc350',
                    maxFeePerGas: '0x77359400',
                    maxPriorityFeePerGas: '0x3b9aca00',
                },
            },
        },
    };
    if (method === 'wallet_prepareCalls') {
        // ERC-7836 carries no version nor atomicRequired.
        delete params.version;
        delete params.atomicRequired;
    }
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [params] }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });

    const latencies = new Float64Array(total);
    let issued = 0;
    let done = 0;
    let ok = 0;
    const errors = new Map(); // what -> count
    const nonces = new Set();
    let firstError = null;
    const noteError = (what, detail) => {
        errors.set(what, (errors.get(what) ?? 0) + 1);
        if (firstError === null) firstError = detail;
    };

    async function client() {
        while (issued < total) {
            issued += 1;
            const started = process.hrtime.bigint();
            let reply;
            try {
                reply = await post(agent, url, secret, body);
            } catch (err) {
                noteError(`transport: ${err.code ?? err.message}`, String(err));
                latencies[done] = Number(process.hrtime.bigint() - started) / 1e6;
                done += 1;
                continue;
            }
            latencies[done] = Number(process.hrtime.bigint() - started) / 1e6;
            done += 1;
            let parsed = null;
            try {
                parsed = JSON.parse(reply.text);
            } catch { /* counted below */ }
            if (reply.status === 200 && parsed && parsed.result !== undefined && parsed.error === undefined) {
                ok += 1;
                const seq = parsed.result.nonceSeq;
                if (seq !== undefined) nonces.add(String(seq));
            } else {
                const code = parsed?.error?.code ?? 'no JSON-RPC error';
                noteError(`HTTP ${reply.status} / ${code}`, reply.text.slice(0, 500));
            }
        }
    }

    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: concurrency }, client));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    // What the generator itself took of the machine's cores (it shares them with the server).
    const clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
    agent.destroy();

    const sorted = Array.from(latencies.subarray(0, done)).sort((a, b) => a - b);
    const round = (x) => Math.round(x * 100) / 100;
    const errorCount = done - ok;
    const report = {
        label,
        method,
        concurrency,
        requests: done,
        ok,
        errors: errorCount,
        errorKinds: Object.fromEntries(errors),
        firstError,
        distinctNonceSeqs: method === 'leash_signCalls' ? nonces.size : undefined,
        seconds: round(seconds),
        clientCpuSeconds: round(clientCpuSeconds),
        opsPerSecond: round(ok / seconds),
        latencyMs: {
            p50: round(percentile(sorted, 50)),
            p90: round(percentile(sorted, 90)),
            p99: round(percentile(sorted, 99)),
            max: round(sorted.length ? sorted[sorted.length - 1] : 0),
        },
    };
    const l = report.latencyMs;
    process.stderr.write(
        `bench-serve: ${label} ${method}: ${done} requests (${ok} ok, ${errorCount} errors) in ${report.seconds} s `
        + `with ${concurrency} clients: ${report.opsPerSecond} ops/s; latency p50 ${l.p50} ms, p90 ${l.p90} ms, `
        + `p99 ${l.p99} ms, max ${l.max} ms`
        + (report.distinctNonceSeqs !== undefined ? `; ${report.distinctNonceSeqs} distinct nonce sequences` : '')
        + `; generator CPU ${report.clientCpuSeconds} s (${round(clientCpuSeconds / seconds)} cores)`
        + '\n',
    );
    if (firstError !== null) process.stderr.write(`bench-serve: first error: ${firstError}\n`);
    const json = JSON.stringify(report);
    process.stdout.write(`${json}\n`);
    if (options['json-out']) writeFileSync(options['json-out'], `${json}\n`);
    if (method === 'leash_signCalls' && ok > 0 && nonces.size > 0 && nonces.size !== ok) {
        process.stderr.write(`bench-serve: error: ${ok} signed ops but ${nonces.size} distinct nonce sequences\n`);
        process.exitCode = 1;
    }
}

async function signRaw(options) {
    const total = Number(options.requests ?? 20000);
    const account = privateKeyToAccount(`0x${randomBytes(32).toString('hex')}`);
    const hashes = Array.from({ length: total }, () => `0x${randomBytes(32).toString('hex')}`);
    await account.sign({ hash: hashes[0] }); // warm up (precomputation tables)
    const started = process.hrtime.bigint();
    for (const hash of hashes) await account.sign({ hash });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const report = {
        label: 'node-raw-sign',
        requests: total,
        seconds: Math.round(seconds * 100) / 100,
        signaturesPerSecond: Math.round(total / seconds),
        microsecondsPerSignature: Math.round((seconds / total) * 1e6 * 10) / 10,
    };
    process.stderr.write(
        `bench-serve: node raw signing (viem/@noble secp256k1, one core): ${total} signatures in ${report.seconds} s: `
        + `${report.signaturesPerSecond}/s (${report.microsecondsPerSignature} µs each)\n`,
    );
    const json = JSON.stringify(report);
    process.stdout.write(`${json}\n`);
    if (options['json-out']) writeFileSync(options['json-out'], `${json}\n`);
}

const { command, options } = parseArgs(process.argv.slice(2));
const commands = { grant, load, 'sign-raw': signRaw };
if (!commands[command]) {
    process.stderr.write('usage: node load.mjs grant|load|sign-raw [--option value]... (see the header of this file)\n');
    process.exit(2);
}
commands[command](options).catch((err) => {
    process.stderr.write(`bench-serve: error: ${err?.message ?? err}\n`);
    process.exit(1);
});
