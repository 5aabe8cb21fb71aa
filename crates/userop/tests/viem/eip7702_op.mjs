// Test helper for crates/userop/tests/viem_eip7702.rs: viem's side of an EIP-7702 user operation.
//
// Input (argv[2], JSON): { privateKey, delegate, chainId, entryPoint, op } where `op` holds the
// op's fields as viem takes them (quantities as decimal strings).
// Output (stdout, JSON): one case per yParity (0 and 1): the authorization as viem signed it,
// `formatUserOperationRequest` of the op carrying it (the bundler JSON), viem's v0.8 userOpHash,
// and the address viem recovers from the authorization.
import { privateKeyToAccount, signAuthorization } from 'viem/accounts';
import { formatUserOperationRequest, getUserOperationHash } from 'viem/account-abstraction';
import { recoverAuthorizationAddress } from 'viem/utils';

const input = JSON.parse(process.argv[2]);
const sender = privateKeyToAccount(input.privateKey).address;
const op = {
  sender,
  nonce: BigInt(input.op.nonce),
  factory: input.op.factory,
  factoryData: input.op.factoryData,
  callData: input.op.callData,
  callGasLimit: BigInt(input.op.callGasLimit),
  verificationGasLimit: BigInt(input.op.verificationGasLimit),
  preVerificationGas: BigInt(input.op.preVerificationGas),
  maxFeePerGas: BigInt(input.op.maxFeePerGas),
  maxPriorityFeePerGas: BigInt(input.op.maxPriorityFeePerGas),
  paymaster: input.op.paymaster,
  paymasterVerificationGasLimit: BigInt(input.op.paymasterVerificationGasLimit),
  paymasterPostOpGasLimit: BigInt(input.op.paymasterPostOpGasLimit),
  paymasterData: input.op.paymasterData,
  signature: input.op.signature,
};

const cases = [];
const seen = new Set();
// Signing is deterministic (RFC 6979): walk the authorization nonce until both parities appeared.
for (let nonce = 0; seen.size < 2; nonce++) {
  if (nonce > 64) throw new Error('no authorization of each yParity within 64 nonces');
  const authorization = await signAuthorization({
    privateKey: input.privateKey,
    address: input.delegate,
    chainId: input.chainId,
    nonce,
  });
  if (seen.has(authorization.yParity)) continue;
  seen.add(authorization.yParity);
  const withAuth = { ...op, authorization };
  cases.push({
    authorization: {
      address: authorization.address,
      chainId: authorization.chainId,
      nonce: authorization.nonce,
      r: authorization.r,
      s: authorization.s,
      yParity: authorization.yParity,
    },
    request: formatUserOperationRequest(withAuth),
    hash: getUserOperationHash({
      chainId: input.chainId,
      entryPointAddress: input.entryPoint,
      entryPointVersion: '0.8',
      userOperation: withAuth,
    }),
    authority: await recoverAuthorizationAddress({ authorization }),
  });
}
process.stdout.write(JSON.stringify({ sender, cases }));
