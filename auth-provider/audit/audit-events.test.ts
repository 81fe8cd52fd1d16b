/**
 * Unit tests of the audit events: each kind has the common fields, and every event the provider and auth-admin
 * write passes the sanitiser (no field named or holding a secret, an assertion, a private key or a token).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adminAuditEvents } from "../admin/admin-audit.js";
import type { AdminResult } from "../admin/admin-printer.js";
import type { ClientView } from "../admin/client-view.js";
import { createEndpointObserver, tokenAuditEvent } from "../http/endpoint-observer.js";
import type { EndpointAnswer } from "../token/endpoint-answer.js";
import { auditEvent, forbiddenAuditFields, type AuditEvent } from "./audit-events.js";

const now = new Date("2030-01-01T00:00:00.000Z");
const view: ClientView = {
  clientId: "cron",
  grants: [{ audience: "note-service", scopes: ["note.read"] }],
  authMethods: ["client_secret", "private_key_jwt"],
  overlapEndsAt: "2030-01-02T00:00:00.000Z",
  publicJwk: { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k1" },
  tlsClientAuthSubjectDn: null,
  requireDpop: false,
  tokenTtlSeconds: null,
  maxTokensPerMinute: 10,
  disabled: false,
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
};
const credentials = { client: view, clientSecret: "s3cret-value", privateKeyFile: "/tmp/k.pem", credentialsFileEntries: [] };
const results: AdminResult[] = [
  { kind: "client-added", added: credentials },
  { kind: "client-updated", updated: credentials },
  { kind: "client-state", client: { ...view, disabled: true }, changed: true },
  { kind: "client-state", client: view, changed: true },
  { kind: "client-removed", clientId: "cron", reappearsOnStart: false },
  { kind: "client-secret", rotated: { ...credentials, clientSecret: "s3cret-value", hadSecret: true } },
  { kind: "client-secret-revoked", revocation: { client: view, revoked: "old", changed: true } },
  { kind: "key-rotated", rotation: { kid: "k2", activatesAt: now.toISOString(), retiring: [{ kid: "k1", retiresAt: now.toISOString() }], dropped: [], maxTokenTtlSeconds: 3600, keys: [] } },
];
const answer = (fields: Partial<EndpointAnswer>): EndpointAnswer => ({
  path: "/oauth/token",
  outcome: "ok",
  clientId: "cron",
  claimedClientId: "cron",
  address: "127.0.0.1",
  durationSeconds: 0.001,
  throttledBy: undefined,
  details: {},
  ...fields,
});

// Every event either writer produces, for the sanitiser check.
function everyEvent(): AuditEvent[] {
  const written: AuditEvent[] = [];
  const observer = createEndpointObserver({ audit: { write: (e) => void written.push(e), close: async () => {} } });
  observer.answered(answer({ details: { audience: "note-service", scopes: ["note.read"], jti: "j1", expires_in: 60, token_type: "bearer" } }));
  observer.answered(answer({ outcome: "invalid_client", clientId: undefined, claimedClientId: "cron" }));
  observer.answered(answer({ outcome: "slow_down", throttledBy: "budget", details: { audience: "note-service" } }));
  observer.answered(answer({ path: "/oauth/revoke", details: { jti: "j1", exp: 1 } }));
  return [
    ...written,
    ...results.flatMap((r) => adminAuditEvents(r, "auth-admin:ops", now)),
    auditEvent("key.activated", { actor: "auth-provider", subject: "k2" }),
    auditEvent("key.retired", { actor: "auth-provider", subject: "k1" }),
  ];
}

describe("audit events", () => {
  it("every event has time, event, actor, subject and outcome, and passes the sanitiser", () => {
    const events = everyEvent();
    assert.ok(events.length >= 15, `${events.length} events`);
    for (const event of events) {
      for (const field of ["time", "event", "actor", "subject", "outcome"]) assert.equal(typeof event[field], "string", `${event.event}.${field}`);
      assert.deepEqual(forbiddenAuditFields(event), [], `${event.event}: ${JSON.stringify(event)}`);
      assert.doesNotMatch(JSON.stringify(event), /s3cret-value|k\.pem/, event.event);
    }
  });

  it("the sanitiser finds credential fields and values at any depth", () => {
    assert.deepEqual(forbiddenAuditFields({ client_secret: "x" }), ["client_secret"]);
    assert.deepEqual(forbiddenAuditFields({ a: { client_assertion: "x" } }), ["a.client_assertion"]);
    assert.deepEqual(forbiddenAuditFields({ jwk: { d: "x" } }), ["jwk.d"]);
    assert.deepEqual(forbiddenAuditFields({ access_token: "x" }), ["access_token"]);
    assert.deepEqual(forbiddenAuditFields({ note: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig" }), ["note"]);
    assert.deepEqual(forbiddenAuditFields({ list: ["-----BEGIN PRIVATE KEY-----"] }), ["list.0"]);
  });

  it("a token issued names the client, audience, scopes, jti and exp", () => {
    const event = tokenAuditEvent(answer({ details: { audience: "note-service", scopes: ["note.read"], jti: "j1", expires_in: 60 } }));
    assert.equal(event.event, "token.issued");
    assert.deepEqual([event.actor, event.subject, event.outcome, event["audience"], event["jti"]], ["cron", "cron", "ok", "note-service", "j1"]);
    assert.equal(typeof event["exp"], "number");
  });

  it("a refusal before authentication names the claimed client, cut short", () => {
    const event = tokenAuditEvent(answer({ outcome: "invalid_client", clientId: undefined, claimedClientId: "x".repeat(200) }));
    assert.deepEqual([event.event, event.actor, event.outcome, event.address], ["token.refused", "unauthenticated", "invalid_client", "127.0.0.1"]);
    assert.equal(event.subject, `${"x".repeat(64)}...`);
  });

  it("auth-admin results map to their events, and read-only ones to none", () => {
    const names = results.map((r) => adminAuditEvents(r, "auth-admin:ops", now).map((e) => e.event).join(","));
    assert.deepEqual(names, [
      "client.added",
      "client.updated",
      "client.disabled,client.tokens_revoked",
      "client.enabled",
      "client.removed,client.tokens_revoked",
      "client.secret_rotated",
      "client.secret_revoked",
      "key.rotated",
    ]);
    assert.deepEqual(adminAuditEvents({ kind: "keys", keys: [] }), []);
    assert.equal(adminAuditEvents(results[0]!, "auth-admin:ops", now)[0]!.actor, "auth-admin:ops");
  });
});
