/**
 * buf curl, a client we did not write, against both services: reflection
 * (no .proto files needed), health, every protocol, and the refusals.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bufBinary, runCommand } from "./support/commands.js";
import { startSystem, type TestSystem } from "./support/system.js";

let system: TestSystem;
before(async () => {
  system = await startSystem();
});
after(() => system?.stop());

// buf curl exits with 8 × the gRPC status code.
const exitFor = { unauthenticated: 8 * 16, permission_denied: 8 * 7 };

const curl = (args: string[]) => runCommand(bufBinary, ["curl", "--http2-prior-knowledge", ...args]);

for (const target of [
  { name: "calendar", service: "m2m.calendar.v1.CalendarService", read: "ListEvents", write: "CreateEvent", writeBody: '{"event":{"title":"x"}}', audience: "calendar-service", scope: "calendar.read", writeScope: "calendar.write" },
  { name: "notes", service: "m2m.notes.v1.NoteService", read: "ListNotes", write: "CreateNote", writeBody: '{"note":{"title":"x"}}', audience: "note-service", scope: "note.read", writeScope: "note.write" },
] as const) {
  describe(`buf curl at ${target.name}`, () => {
    const url = (method: string) => `${system[target.name].url}/${target.service}/${method}`;

    test("lists services and methods through reflection, without a token", async () => {
      const services = await curl(["--list-services", system[target.name].url]);
      assert.equal(services.code, 0, services.stderr);
      assert.deepEqual(services.stdout.trim().split("\n").sort(), [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        target.service,
      ]);
      const methods = await curl(["--list-methods", system[target.name].url]);
      assert.match(methods.stdout, new RegExp(`^${target.service}/Watch`, "m"));
    });

    test("health check answers SERVING without a token", async () => {
      const result = await curl(["--protocol", "grpc", "-d", `{"service":"${target.service}"}`, `${system[target.name].url}/grpc.health.v1.Health/Check`]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { status: "SERVING" });
    });

    for (const protocol of ["grpc", "connect", "grpcweb"]) {
      test(`a read with a token over ${protocol}, schema from reflection`, async () => {
        const token = await system.token(target.audience, target.scope);
        const result = await curl(["--protocol", protocol, "-H", `authorization: Bearer ${token}`, "-d", '{"pageSize":5}', url(target.read)]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(typeof JSON.parse(result.stdout), "object");
      });
    }

    test("without a token: unauthenticated", async () => {
      const result = await curl(["--protocol", "grpc", "-d", "{}", url(target.read)]);
      assert.equal(result.code, exitFor.unauthenticated, result.stdout + result.stderr);
      assert.match(result.stdout + result.stderr, /"code": "unauthenticated"/);
    });

    test("with the wrong scope: permission_denied", async () => {
      const token = await system.token(target.audience, target.scope);
      const result = await curl(["--protocol", "grpc", "-H", `authorization: Bearer ${token}`, "-d", target.writeBody, url(target.write)]);
      assert.equal(result.code, exitFor.permission_denied, result.stdout + result.stderr);
      assert.ok((result.stdout + result.stderr).includes(`lacks the scope ${target.writeScope}`), result.stdout + result.stderr);
    });
  });
}
