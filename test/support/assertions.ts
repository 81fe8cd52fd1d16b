import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthErrorSchema, AuthFailureReason } from "../../gen/m2m/auth/v1/auth_pb.js";

/** Awaits a call that must fail with `code` and a message containing `messagePart`. */
export async function expectCode(call: Promise<unknown>, code: Code, messagePart: string): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    const connectError = ConnectError.from(err);
    assert.equal(Code[connectError.code], Code[code], `expected ${Code[code]}, got ${Code[connectError.code]}: ${connectError.rawMessage}`);
    assert.ok(connectError.rawMessage.includes(messagePart), `message "${connectError.rawMessage}" should contain "${messagePart}"`);
    return connectError;
  }
  assert.fail(`the call succeeded but should have failed with ${Code[code]}`);
}

/**
 * Checks a refusal of the token guard as a caller sees it: the code, the message, the m2m.auth.v1.AuthError detail's
 * reason (and audience, when given) and, unless the keys were unavailable, a Bearer www-authenticate challenge.
 */
export function assertAuthRefusal(err: ConnectError, code: Code, reason: AuthFailureReason, messagePart: RegExp, audience?: string): void {
  assert.equal(Code[err.code], Code[code], `code (message: ${err.rawMessage})`);
  assert.match(err.rawMessage, messagePart);
  const [detail] = err.findDetails(AuthErrorSchema);
  assert.ok(detail, "the error carries an m2m.auth.v1.AuthError detail");
  assert.equal(AuthFailureReason[detail.reason], AuthFailureReason[reason]);
  if (audience !== undefined) assert.equal(detail.audience, audience);
  if (code !== Code.Unavailable) assert.match(err.metadata.get("www-authenticate") ?? "", new RegExp(`^Bearer realm="${audience ?? ""}`));
}
