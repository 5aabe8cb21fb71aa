// e2e/serve.mjs: `leash serve` driven by viem, run by e2e/serve.sh (which started the server and made an
// admin key with the CLI). Every step asserts; the first mismatch exits non-zero with what was expected.
//
// Environment (set by e2e/serve.sh and e2e/run.sh): LEASH_SERVE_URL, LEASH_SERVE_ADMIN_SECRET,
// LEASH_SERVE_ACCOUNT, LEASH_SERVE_DATA, LEASH_SERVE_STEP, LEASH_SERVE_STEP_FILE, LEASH_CLI_PATH,
// LEASH_E2E_TOKEN, LEASH_E2E_MODULE, LEASH_E2E_VALIDATOR, LEASH_OWNER_KEY, LEASH_RPC_URL, LEASH_CHAIN_ID.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import {
    createPublicClient,
    createWalletClient,
    encodeFunctionData,
    http,
    keccak256,
    numberToHex,
    parseAbi,
    parseEther,
    parseEventLogs,
    toBytes,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { getCallsStatus, sendCalls } from 'viem/actions';
import { foundry } from 'viem/chains';
import { grantPermissions } from 'viem/experimental';

function env(name) {
    const value = process.env[name];
    if (!value) throw new Error(`e2e/serve.mjs: ${name} is not set (run me through e2e/test.sh)`);
    return value;
}

const URL_ = env('LEASH_SERVE_URL');
const ADMIN_SECRET = env('LEASH_SERVE_ADMIN_SECRET');
const ACCOUNT = env('LEASH_SERVE_ACCOUNT');
const DATA_DIR = env('LEASH_SERVE_DATA');
const LEASH = env('LEASH_CLI_PATH');
const TOKEN = env('LEASH_E2E_TOKEN');
const MODULE = env('LEASH_E2E_MODULE');
const VALIDATOR = env('LEASH_E2E_VALIDATOR');
const OWNER_KEY = env('LEASH_OWNER_KEY');
const RPC_URL = env('LEASH_RPC_URL');
const CHAIN_ID = Number(process.env.LEASH_CHAIN_ID || 31337);
const STEP_FILE = env('LEASH_SERVE_STEP_FILE');
const RECIPIENT = '0x0000000000000000000000000000000000005E7e';
const OTHER_ACCOUNT = '0x00000000000000000000000000000000000a0a0a';
const E18 = 10n ** 18n;

// ------------------------------------------------------------------ printing and asserting
let stepNumber = Number(process.env.LEASH_SERVE_STEP || 0);
function step(text) {
    stepNumber += 1;
    writeFileSync(STEP_FILE, String(stepNumber));
    process.stderr.write(`\ne2e: step ${stepNumber}: ${text}\n`);
}
function log(text) {
    process.stderr.write(`e2e: ${text}\n`);
}
class Failure extends Error {}
function fail(message) {
    throw new Failure(`step ${stepNumber}: ${message}`);
}
function show(value) {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
function check(condition, message, value) {
    if (!condition) fail(value === undefined ? message : `${message}\n--- got\n${show(value)}`);
}

// ------------------------------------------------------------------ raw JSON-RPC (HTTP status and error objects)
let rpcId = 0;
// One POST; returns {status, body} whatever the outcome (the caller asserts).
async function post(secret, method, params) {
    const headers = { 'content-type': 'application/json' };
    if (secret !== null) headers.authorization = `Bearer ${secret}`;
    const response = await fetch(URL_, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
    });
    const text = await response.text();
    let body;
    try {
        body = JSON.parse(text);
    } catch {
        body = { unparsed: text };
    }
    return { status: response.status, body };
}
// A call that must succeed; returns its result.
async function call(secret, method, params) {
    const { status, body } = await post(secret, method, params);
    check(status === 200 && body.result !== undefined && body.error === undefined,
        `${method}: expected HTTP 200 with a result`, { status, body });
    return body.result;
}
// A call that must fail with HTTP `httpStatus` (when given) and JSON-RPC `code`; returns the error object.
async function refused(secret, method, params, { httpStatus, code, what }) {
    const { status, body } = await post(secret, method, params);
    const error = body && body.error;
    check(error && error.code === code && (httpStatus === undefined || status === httpStatus),
        `${what}: expected ${httpStatus ? `HTTP ${httpStatus} and ` : ''}JSON-RPC error ${code} from ${method}`,
        { status, body });
    log(`${what}: HTTP ${status}, error ${error.code}: ${error.message}`);
    return error;
}

// The JSON-RPC error object under a viem error (RpcRequestError carries the server's code, message, data).
function rpcErrorOf(err) {
    const found = typeof err?.walk === 'function'
        ? err.walk((e) => e?.name === 'RpcRequestError' || e?.name === 'HttpRequestError')
        : null;
    if (found?.name === 'RpcRequestError') return { code: found.code, message: found.details, data: found.data };
    if (found?.name === 'HttpRequestError') {
        let inner = {};
        try {
            inner = JSON.parse(found.details);
        } catch { /* not JSON */ }
        return { httpStatus: found.status, ...inner };
    }
    return { code: err?.code, message: err?.message, data: err?.data };
}
async function viemRefusal(promise, what) {
    try {
        const value = await promise;
        fail(`${what}: expected a refusal, got ${show(value)}`);
    } catch (err) {
        if (err instanceof Failure) throw err;
        return { error: rpcErrorOf(err), raw: err };
    }
}

// ------------------------------------------------------------------ viem clients
const erc20 = parseAbi([
    'function transfer(address to, uint256 amount) returns (bool)',
    'function balanceOf(address who) view returns (uint256)',
]);
// The module's compiled ABI as committed in crates/contracts/abi (what leash's Rust bindings are generated from):
// its views, errors and events, so that viem decodes the module's logs exactly as an indexer would.
const moduleAbi = JSON.parse(readFileSync(new URL('../crates/contracts/abi/SessionKeyValidator.json', import.meta.url), 'utf8'));
const chain = { ...foundry, id: CHAIN_ID, rpcUrls: { default: { http: [RPC_URL] } } };
const chainClient = createPublicClient({ chain, transport: http(RPC_URL) });
const owner = privateKeyToAccount(OWNER_KEY);

// A wallet client on leash serve with an API key. Every raw result is kept in `raw[method]`: viem's
// grantPermissions returns only the standard fields, the leash extension (enableGrant) is read from there.
function walletOn(secret) {
    const raw = {};
    const base = http(URL_, { fetchOptions: { headers: { Authorization: `Bearer ${secret}` } }, retryCount: 0 });
    const transport = (options) => {
        const inner = base(options);
        return {
            ...inner,
            async request(args, opts) {
                const result = await inner.request(args, opts);
                raw[args.method] = result;
                return result;
            },
        };
    };
    return { client: createWalletClient({ chain, transport }), raw };
}

const balanceOf = (who) => chainClient.readContract({ address: TOKEN, abi: erc20, functionName: 'balanceOf', args: [who] });
const sessionStatus = (sessionId) =>
    chainClient.readContract({ address: MODULE, abi: moduleAbi, functionName: 'statusOf', args: [ACCOUNT, sessionId] });
const transferCall = (amount) => ({
    to: TOKEN,
    data: encodeFunctionData({ abi: erc20, functionName: 'transfer', args: [RECIPIENT, amount] }),
});
function leashCli(...args) {
    return execFileSync(LEASH, ['--data-dir', DATA_DIR, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
// True when `value` (a JSON tree) holds `amount` as a number, a decimal string or a 0x string.
function holdsAmount(value, amount) {
    if (value === null || value === undefined) return false;
    if (typeof value === 'string') {
        try {
            return BigInt(value) === amount;
        } catch {
            return false;
        }
    }
    if (typeof value === 'number') return Number.isSafeInteger(value) && BigInt(value) === amount;
    if (typeof value === 'object') return Object.values(value).some((v) => holdsAmount(v, amount));
    return false;
}

async function waitForCalls(client, id, what) {
    const deadline = Date.now() + 60_000;
    for (;;) {
        const status = await getCallsStatus(client, { id });
        if (status.status !== 'pending') return status;
        if (Date.now() > deadline) fail(`${what}: still pending after 60 s: ${show(status)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

// ------------------------------------------------------------------ the scenario
async function main() {
    step('leash serve: the admin key makes app keys over HTTP (leash_createApiKey); no key, a bad key, an app key on admin methods are refused');
    await refused(null, 'leash_listPermissions', [{ address: ACCOUNT }], { httpStatus: 401, code: -32001, what: 'no Authorization header' });
    await refused('leash_nosuchkey_00', 'leash_listPermissions', [{ address: ACCOUNT }], { httpStatus: 401, code: -32001, what: 'malformed key' });
    await refused(`leash_${'0'.repeat(12)}_${'0'.repeat(64)}`, 'leash_listPermissions', [{ address: ACCOUNT }],
        { httpStatus: 401, code: -32001, what: 'well-formed unknown key' });
    const app = await call(ADMIN_SECRET, 'leash_createApiKey', [{ name: 'e2e-app', role: 'app', accounts: [ACCOUNT] }]);
    check(typeof app.id === 'string' && typeof app.secret === 'string' && app.secret.startsWith(`leash_${app.id}_`),
        'leash_createApiKey: expected {id, secret: "leash_<id>_<hex>"}', app);
    const other = await call(ADMIN_SECRET, 'leash_createApiKey', [{ name: 'e2e-other', role: 'app', accounts: [OTHER_ACCOUNT] }]);
    const limited = await call(ADMIN_SECRET, 'leash_createApiKey',
        [{ name: 'e2e-limited', role: 'app', accounts: [ACCOUNT], rateLimitPerMinute: 2 }]);
    log(`app key ${app.id} for ${ACCOUNT}, app key ${other.id} for ${OTHER_ACCOUNT}, app key ${limited.id} (2 requests a minute)`);
    await refused(app.secret, 'leash_createApiKey', [{ name: 'nope', role: 'admin' }], { code: 4100, what: 'app key on an admin method' });
    const listed = await call(ADMIN_SECRET, 'leash_listApiKeys', []);
    const listedText = show(listed);
    check(listedText.includes(app.id) && listedText.includes(other.id), 'leash_listApiKeys: expected both app keys', listed);
    check(!listedText.includes(app.secret), 'leash_listApiKeys shows a secret', listed);

    const { client: appWallet, raw } = walletOn(app.secret);

    step('viem grantPermissions (ERC-7715): 100 MOCK + a 1 ETH fee budget, no signer -> the server holds the key; nothing on-chain yet');
    const latest = await chainClient.getBlock();
    const expiry = Math.max(Number(latest.timestamp), Math.floor(Date.now() / 1000)) + 3600;
    const granted = await grantPermissions(appWallet, {
        expiry,
        permissions: [
            {
                type: 'erc20-token-transfer',
                data: { address: TOKEN, ticker: 'MOCK' },
                policies: [{ type: 'token-allowance', data: { allowance: 100n * E18 } }],
                required: true,
            },
            // The fee side: leash reads a `gas-limit` permission as the session's fee budget in wei (the
            // account pays for its own ops, no paymaster), and refuses a session that could never pay.
            { type: 'gas-limit', data: { limit: numberToHex(parseEther('1')) }, policies: [], required: true },
        ],
    });
    const grantRaw = raw.wallet_grantPermissions;
    const context = granted.permissionsContext;
    check(typeof context === 'string' && /^0x[0-9a-fA-F]+$/.test(context), 'grantPermissions: no permissionsContext', granted);
    check(granted.expiry === expiry, `grantPermissions: expiry ${granted.expiry}, asked ${expiry}`, granted);
    check(granted.grantedPermissions.length === 2, 'grantPermissions: expected 2 granted permissions', granted);
    const leash = grantRaw.leash;
    check(leash && leash.keyHolder === 'server', 'grantPermissions: expected leash.keyHolder "server"', grantRaw);
    check(String(leash.module).toLowerCase() === MODULE.toLowerCase(), `grantPermissions: leash.module is not ${MODULE}`, grantRaw);
    check(leash.ownerOp && leash.ownerOp.to && leash.ownerOp.data, 'grantPermissions: no leash.ownerOp', grantRaw);
    check(leash.enableGrant && /^0x[0-9a-fA-F]{64}$/.test(leash.enableGrant.hashToSign),
        'grantPermissions: no leash.enableGrant.hashToSign (the server has --rpc-url)', grantRaw);
    const sessionId = leash.sessionId;
    check(await sessionStatus(sessionId) === 0, `session ${sessionId} is known on-chain before its first op`);
    log(`context ${context.slice(0, 18)}…, session ${sessionId}, server-held signer ${grantRaw.signer?.data?.id ?? show(grantRaw.signer)}`);

    step('the owner signs enableGrant.hashToSign (raw) and hands it back: leash_submitGrantSignature');
    const signature = await owner.sign({ hash: leash.enableGrant.hashToSign });
    const submitted = await call(app.secret, 'leash_submitGrantSignature', [{ context, signature, ownerValidator: VALIDATOR }]);
    check(submitted.status === 'enable-in-first-op', 'leash_submitGrantSignature: expected status "enable-in-first-op"', submitted);
    check(await sessionStatus(sessionId) === 0, 'the session is on-chain before its first op');

    step('viem sendCalls (EIP-5792): 30 MOCK to the recipient, the first op carries the grant; getCallsStatus until confirmed');
    const before = await balanceOf(RECIPIENT);
    const sent = await sendCalls(appWallet, {
        account: ACCOUNT,
        calls: [transferCall(30n * E18)],
        capabilities: { permissions: { context } },
    });
    check(typeof sent.id === 'string' && /^0x[0-9a-fA-F]{64}$/.test(sent.id), 'sendCalls: expected an id (the user-op hash)', sent);
    const status = await waitForCalls(appWallet, sent.id, 'the 30 MOCK transfer');
    check(status.status === 'success' && status.statusCode === 200, 'getCallsStatus: expected status 200 (confirmed)', status);
    check(status.receipts.length >= 1 && status.receipts.every((r) => r.status === 'success'),
        'getCallsStatus: expected successful receipts', status);
    const rawStatus = raw.wallet_getCallsStatus;
    check(rawStatus.version === '2.0.0' && rawStatus.id === sent.id && rawStatus.atomic === true && rawStatus.status === 200,
        'wallet_getCallsStatus: expected {version: "2.0.0", id, atomic: true, status: 200}', rawStatus);
    const after = await balanceOf(RECIPIENT);
    check(after - before === 30n * E18, `balanceOf(recipient) moved by ${after - before}, expected ${30n * E18}`);
    check(await sessionStatus(sessionId) === 1, 'the session is not active on-chain after its first op');
    log(`op ${sent.id} confirmed in block ${status.receipts[0].blockNumber}; recipient holds ${after}; session active on-chain`);

    step('viem parseEventLogs with the module\'s ABI: the op\'s one use event names the account, the session, one use, 30 MOCK and the fee it paid');
    const bundle = await chainClient.getTransactionReceipt({ hash: status.receipts[0].transactionHash });
    const uses = parseEventLogs({
        abi: moduleAbi,
        logs: bundle.logs.filter((l) => l.address.toLowerCase() === MODULE.toLowerCase()),
        eventName: ['SessionUsed', 'SessionUsedAndPaid', 'SessionUsedAndCharged'],
    });
    check(uses.length === 1 && uses[0].eventName === 'SessionUsedAndPaid',
        'expected one SessionUsedAndPaid (a self-paid op charging tokens[0] and its fee)', uses);
    const used = uses[0].args;
    check(used.account.toLowerCase() === ACCOUNT.toLowerCase() && used.sessionId === sessionId,
        'SessionUsedAndPaid: expected the account and the session id', used);
    check(((used.usage >> 192n) & 0xffffffffn) === 1n && (used.usage & ((1n << 128n) - 1n)) === 30n * E18,
        'SessionUsedAndPaid: expected usage = 1 use and 30 MOCK charged to tokens[0]', used);
    check(used.fee > 0n && used.fee <= parseEther('1'), 'SessionUsedAndPaid: expected a fee within the 1 ether budget', used);
    log(`SessionUsedAndPaid: 1 use, ${used.usage & ((1n << 128n) - 1n)} MOCK, fee ${used.fee} wei`);

    step('80 MOCK more (70 left) -> refused with the module\'s reason, -32003 TokenAllowanceExceeded');
    const over = await viemRefusal(sendCalls(appWallet, {
        account: ACCOUNT,
        calls: [transferCall(80n * E18)],
        capabilities: { permissions: { context } },
    }), 'over-limit sendCalls');
    check(over.error.code === -32003, `over-limit sendCalls: expected code -32003, got ${over.error.code}`, over.error);
    check(over.error.data?.reason === 'TokenAllowanceExceeded',
        'over-limit sendCalls: expected data.reason "TokenAllowanceExceeded"', over.error);
    const overText = show(over.error.data);
    check(/\b80\b|80000000000000000000/.test(overText) && /\b70\b|70000000000000000000/.test(overText),
        'over-limit sendCalls: expected the asked (80) and left (70) amounts in the error data', over.error);
    log(`refused: ${over.error.data.message ?? over.error.message}`);
    check(await balanceOf(RECIPIENT) === after, 'the refused transfer moved tokens');

    step('leash_listPermissions: the session, active, server-held, 70 MOCK left');
    const list = await call(app.secret, 'leash_listPermissions', [{ address: ACCOUNT }]);
    const mine = (list.permissions || []).find((p) => p.context === context);
    check(mine, 'leash_listPermissions: the granted context is not listed', list);
    check(mine.keyHolder === 'server' && mine.sessionId === sessionId, 'leash_listPermissions: expected keyHolder "server" and the session id', mine);
    check(holdsAmount(mine.remaining, 70n * E18), 'leash_listPermissions: expected 70 MOCK remaining', mine);
    log(`listed: state ${mine.state}, remaining ${show(mine.remaining).replace(/\s+/g, ' ')}`);

    step('app-held key: grantPermissions to the app\'s own signer, enabled by the owner\'s grant; wallet_prepareCalls, the app signs, wallet_sendPreparedCalls');
    const appKey = privateKeyToAccount(keccak256(toBytes('leash e2e app-held session key')));
    const appGrant = await grantPermissions(appWallet, {
        expiry,
        signer: { type: 'account', data: { id: appKey.address } },
        permissions: [
            {
                type: 'erc20-token-transfer',
                data: { address: TOKEN, ticker: 'MOCK' },
                policies: [{ type: 'token-allowance', data: { allowance: 50n * E18 } }],
                required: true,
            },
            { type: 'gas-limit', data: { limit: numberToHex(parseEther('1')) }, policies: [], required: true },
        ],
    });
    const appRaw = raw.wallet_grantPermissions;
    const appContext = appGrant.permissionsContext;
    check(appRaw.leash?.keyHolder === 'app', 'grantPermissions with a signer: expected leash.keyHolder "app"', appRaw);
    check(show(appRaw.signer).toLowerCase().includes(appKey.address.toLowerCase()),
        `grantPermissions with a signer: the signer is not ${appKey.address}`, appRaw);
    const appSignature = await owner.sign({ hash: appRaw.leash.enableGrant.hashToSign });
    await call(app.secret, 'leash_submitGrantSignature', [{ context: appContext, signature: appSignature, ownerValidator: VALIDATOR }]);
    const prepared = await appWallet.request({
        method: 'wallet_prepareCalls',
        params: [{ chainId: numberToHex(CHAIN_ID), from: ACCOUNT, calls: [transferCall(20n * E18)], capabilities: { permissions: { context: appContext } } }],
    });
    check(prepared.signatureRequest && /^0x[0-9a-fA-F]{64}$/.test(prepared.signatureRequest.hash) && prepared.data,
        'wallet_prepareCalls: expected {type, data, chainId, capabilities, signatureRequest: {hash}}', prepared);
    const { type: preparedType, data: preparedData, chainId: preparedChain, capabilities: preparedCapabilities } = prepared;
    const preparedSent = await appWallet.request({
        method: 'wallet_sendPreparedCalls',
        params: [{
            type: preparedType,
            data: preparedData,
            chainId: preparedChain,
            capabilities: preparedCapabilities,
            signature: await appKey.sign({ hash: prepared.signatureRequest.hash }),
        }],
    });
    const preparedId = typeof preparedSent === 'string' ? preparedSent : preparedSent?.id;
    check(typeof preparedId === 'string' && /^0x[0-9a-fA-F]{64}$/.test(preparedId), 'wallet_sendPreparedCalls: expected an id', preparedSent);
    // Wait on the chain, not through wallet_getCallsStatus: the next op must not carry the owner's
    // grant again even when nobody asked for the first op's status.
    const deadline = Date.now() + 60_000;
    let afterApp = await balanceOf(RECIPIENT);
    while (afterApp - after !== 20n * E18) {
        if (Date.now() > deadline) fail(`the app-signed 20 MOCK transfer did not land within 60 s (recipient moved by ${afterApp - after})`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        afterApp = await balanceOf(RECIPIENT);
    }
    log(`app-signed op ${preparedId} landed (seen on-chain); recipient holds ${afterApp}`);

    step('app-held key: a second op before anyone asked the first one\'s status lands without the used grant');
    const second = await appWallet.request({
        method: 'wallet_prepareCalls',
        params: [{ chainId: numberToHex(CHAIN_ID), from: ACCOUNT, calls: [transferCall(5n * E18)], capabilities: { permissions: { context: appContext } } }],
    });
    const secondSent = await appWallet.request({
        method: 'wallet_sendPreparedCalls',
        params: [{ ...second, signature: await appKey.sign({ hash: second.signatureRequest.hash }) }],
    });
    const secondId = typeof secondSent === 'string' ? secondSent : secondSent?.id;
    const secondStatus = await waitForCalls(appWallet, secondId, 'the second app-signed 5 MOCK transfer');
    check(secondStatus.status === 'success', 'getCallsStatus of the second app-signed op: expected confirmed', secondStatus);
    const preparedStatus = await waitForCalls(appWallet, preparedId, 'the app-signed 20 MOCK transfer');
    check(preparedStatus.status === 'success', 'getCallsStatus of the app-signed op: expected confirmed', preparedStatus);
    const afterSecond = await balanceOf(RECIPIENT);
    check(afterSecond - after === 25n * E18, `balanceOf(recipient) moved by ${afterSecond - after}, expected ${25n * E18}`);
    log(`second app-signed op ${secondId} confirmed; recipient holds ${afterSecond}`);

    step('scope: an app key for another account cannot list or use this permission (4100); disabled by the CLI -> 401');
    await refused(other.secret, 'leash_listPermissions', [{ address: ACCOUNT }], { code: 4100, what: 'other account\'s key lists' });
    const otherWallet = walletOn(other.secret).client;
    const scoped = await viemRefusal(sendCalls(otherWallet, {
        account: ACCOUNT,
        calls: [transferCall(1n * E18)],
        capabilities: { permissions: { context } },
    }), 'sendCalls with another account\'s key');
    check(scoped.error.code === 4100, `sendCalls with another account's key: expected 4100, got ${scoped.error.code}`, scoped.error);
    await refused(other.secret, 'wallet_revokePermissions', [{ permissionContext: context }], { code: 4100, what: 'other account\'s key revokes' });
    leashCli('apikey', 'disable', other.id);
    await refused(other.secret, 'leash_listPermissions', [{ address: OTHER_ACCOUNT }], { httpStatus: 401, code: -32001, what: 'disabled key' });
    leashCli('apikey', 'enable', other.id);
    await call(other.secret, 'leash_listPermissions', [{ address: OTHER_ACCOUNT }]);
    log('enabled again by the CLI: accepted');

    step('wallet_revokePermissions: revoked; the next sendCalls with that context is refused');
    const revoked = await call(app.secret, 'wallet_revokePermissions', [{ permissionContext: context }]);
    check(revoked.revoked === true && revoked.ownerOp && revoked.ownerOp.data,
        'wallet_revokePermissions: expected {revoked: true, ownerOp}', revoked);
    const afterRevoke = await viemRefusal(sendCalls(appWallet, {
        account: ACCOUNT,
        calls: [transferCall(1n * E18)],
        capabilities: { permissions: { context } },
    }), 'sendCalls after revocation');
    check(/revoked/i.test(show(afterRevoke.error)), 'sendCalls after revocation: expected a refusal naming the revocation', afterRevoke.error);
    log(`refused: ${afterRevoke.error.code}: ${afterRevoke.error.message}`);
    const listAfter = await call(app.secret, 'leash_listPermissions', [{ address: ACCOUNT }]);
    const mineAfter = (listAfter.permissions || []).find((p) => p.context === context);
    check(mineAfter && /revoked/i.test(mineAfter.state), 'leash_listPermissions: expected the session revoked', listAfter);
    check(await balanceOf(RECIPIENT) === afterSecond, 'a refused transfer moved tokens');

    step('key lifecycle: a rotated key\'s old secret is refused at once (401), the new one works; a revoked key is refused');
    const rotated = await call(ADMIN_SECRET, 'leash_rotateApiKey', [{ id: app.id }]);
    check(typeof rotated.secret === 'string' && rotated.secret !== app.secret, 'leash_rotateApiKey: expected a new secret', rotated);
    await refused(app.secret, 'leash_listPermissions', [{ address: ACCOUNT }], { httpStatus: 401, code: -32001, what: 'old secret after rotation' });
    await call(rotated.secret, 'leash_listPermissions', [{ address: ACCOUNT }]);
    log('new secret accepted');
    await call(ADMIN_SECRET, 'leash_revokeApiKey', [{ id: app.id, reason: 'e2e: done with it' }]);
    await refused(rotated.secret, 'leash_listPermissions', [{ address: ACCOUNT }], { httpStatus: 401, code: -32001, what: 'revoked key' });
    const shown = await call(ADMIN_SECRET, 'leash_getApiKey', [{ id: app.id }]);
    check(/revoked/i.test(show(shown)), 'leash_getApiKey: expected the key revoked', shown);

    step('rate limit: a key allowed 2 requests a minute gets HTTP 429 / -32005 on the third');
    await call(limited.secret, 'leash_listPermissions', [{ address: ACCOUNT }]);
    await call(limited.secret, 'leash_listPermissions', [{ address: ACCOUNT }]);
    await refused(limited.secret, 'leash_listPermissions', [{ address: ACCOUNT }], { httpStatus: 429, code: -32005, what: 'third request' });

    step('leash_verifyAudit (admin key): the server\'s audit log verifies');
    const audit = await call(ADMIN_SECRET, 'leash_verifyAudit', []);
    check(audit && audit.intact === true && Array.isArray(audit.problems) && audit.problems.length === 0,
        'leash_verifyAudit: expected it to verify', audit);
    log(`audit: ${show(audit).replace(/\s+/g, ' ')}`);
}

main().then(
    () => process.exit(0),
    (err) => {
        process.stderr.write(`e2e: error: ${err instanceof Failure ? err.message : err?.stack || err}\n`);
        process.exit(1);
    },
);
