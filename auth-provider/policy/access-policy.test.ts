import assert from "node:assert/strict";
import { test } from "node:test";
import type { Grant } from "../clients/client-record.js";
import { buildAccessPolicyReport, type PolicyClient } from "./access-policy.js";
import { loadScopeCatalog, type CatalogAudience, type CatalogMethod, type ScopeCatalog } from "./scope-catalog.js";

// A hand-made catalog: two proto audiences (one with a public and an undeclared method) and a configured one.
const method = (name: string, ...requiredScopes: string[]): CatalogMethod => ({ name, requiredScopes, public: false });
const audiences: CatalogAudience[] = [
  { audience: "billing", source: "configured", scopes: ["billing.read"], methods: [] },
  {
    audience: "docs",
    source: "proto",
    scopes: ["docs.admin", "docs.read", "docs.write"],
    methods: [method("d.v1.Docs/Get", "docs.read"), method("d.v1.Docs/Put", "docs.read", "docs.write"), { name: "d.v1.Docs/Ping", requiredScopes: [], public: true }],
  },
  { audience: "mail", source: "proto", scopes: ["mail.send"], methods: [method("m.v1.Mail/Send", "mail.send"), method("m.v1.Mail/Legacy")] },
];
const catalog: ScopeCatalog = {
  audiences,
  find: (audience) => audiences.find((a) => a.audience === audience),
  allScopes: new Set(audiences.flatMap((a) => a.scopes)),
};

const client = (clientId: string, grants: Grant[], disabled = false): PolicyClient => ({ clientId, grants, disabled });

test("each client's callable RPCs per audience: every required scope granted for that audience", () => {
  const report = buildAccessPolicyReport(catalog, [
    client("reader", [{ audience: "docs", scopes: ["docs.read"] }]),
    client("writer", [{ audience: "docs", scopes: ["docs.read", "docs.write"] }, { audience: "billing", scopes: ["billing.read"] }]),
  ]);
  assert.deepEqual(report.clients, [
    { clientId: "reader", disabled: false, audiences: [{ audience: "docs", grantedScopes: ["docs.read"], source: "proto", callableMethods: ["d.v1.Docs/Get"] }] },
    {
      clientId: "writer",
      disabled: false,
      audiences: [
        { audience: "docs", grantedScopes: ["docs.read", "docs.write"], source: "proto", callableMethods: ["d.v1.Docs/Get", "d.v1.Docs/Put"] },
        { audience: "billing", grantedScopes: ["billing.read"], source: "configured", callableMethods: [] },
      ],
    },
  ]);
  const docs = report.audiences.find((a) => a.audience === "docs")!;
  assert.deepEqual(
    docs.methods.map((m) => [m.name, m.callers]),
    [["d.v1.Docs/Get", ["reader", "writer"]], ["d.v1.Docs/Put", ["writer"]], ["d.v1.Docs/Ping", []]],
  );
  assert.deepEqual(report.audiences.find((a) => a.audience === "billing")!.methods, []);
});

test("problems: grants no RPC needs, and RPCs no enabled client can call", () => {
  const report = buildAccessPolicyReport(catalog, [
    client("admin", [{ audience: "docs", scopes: ["docs.admin", "docs.read"] }, { audience: "gone", scopes: ["x"] }]),
    client("mailer", [{ audience: "mail", scopes: ["mail.send"] }], true),
  ]);
  assert.deepEqual(
    report.problems.map((p) => (p.kind === "unused-grant" ? [p.kind, p.clientId, `${p.audience}:${p.scope}`] : [p.kind, p.method])),
    [
      ["unused-grant", "admin", "docs:docs.admin"],
      ["unused-grant", "admin", "gone:x"],
      ["uncallable-method", "d.v1.Docs/Put"],
      ["uncallable-method", "m.v1.Mail/Send"],
      ["uncallable-method", "m.v1.Mail/Legacy"],
    ],
  );
  const messages = report.problems.map((p) => p.message);
  assert.match(messages[0]!, /^client admin holds the grant docs:docs\.admin, which no RPC needs: no RPC of docs requires docs\.admin$/);
  assert.match(messages[1]!, /the audience gone is not in the catalog/);
  assert.equal(messages[2], "no enabled client can call d.v1.Docs/Put (needs docs:docs.read,docs.write)");
  assert.match(messages[4]!, /m\.v1\.Mail\/Legacy \(declares no \(m2m\.auth\.v1\.access\) option/);
  // The disabled client is shown with what its grants would allow, but calls nothing.
  assert.deepEqual(report.clients[1], {
    clientId: "mailer",
    disabled: true,
    audiences: [{ audience: "mail", grantedScopes: ["mail.send"], source: "proto", callableMethods: ["m.v1.Mail/Send"] }],
  });
  assert.deepEqual(report.clients[0]!.audiences[1], { audience: "gone", grantedScopes: ["x"], source: "unknown", callableMethods: [] });
});

test("configured audiences are listed and never flagged; public methods need no caller", () => {
  const report = buildAccessPolicyReport(catalog, [
    client("all", [
      { audience: "billing", scopes: ["billing.read", "billing.other"] },
      { audience: "docs", scopes: ["docs.read", "docs.write"] },
      { audience: "mail", scopes: ["mail.send"] },
    ]),
  ]);
  assert.deepEqual(report.problems.map((p) => p.kind === "uncallable-method" && p.method), ["m.v1.Mail/Legacy"]);
});

test("no clients: every non-public RPC is uncallable", () => {
  const report = buildAccessPolicyReport(catalog, []);
  assert.deepEqual(report.clients, []);
  assert.equal(report.problems.length, 4);
  assert.ok(report.problems.every((p) => p.kind === "uncallable-method"));
});

test("this repository's services: the assistant's grants call every RPC and need nothing more", () => {
  const repository = loadScopeCatalog({});
  const assistant = client("assistant", [
    { audience: "calendar-service", scopes: ["calendar.read", "calendar.write"] },
    { audience: "note-service", scopes: ["note.read", "note.write"] },
  ]);
  const report = buildAccessPolicyReport(repository, [assistant]);
  assert.deepEqual(report.problems, []);
  assert.ok(report.clients[0]!.audiences.every((a) => a.callableMethods.length === 6));
  const reader = buildAccessPolicyReport(repository, [client("reader", [{ audience: "note-service", scopes: ["note.read"] }])]);
  assert.deepEqual(
    reader.problems.filter((p) => p.audience === "note-service").map((p) => p.kind === "uncallable-method" && p.method),
    ["m2m.notes.v1.NoteService/CreateNote", "m2m.notes.v1.NoteService/UpdateNote", "m2m.notes.v1.NoteService/DeleteNote"],
  );
});
