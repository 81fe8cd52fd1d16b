import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";

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
