/**
 * The little of oidc-provider's API the benchmark's peer server uses (the package ships no types). Its configuration
 * is passed as a plain object: see bench/oidc-provider-server.ts.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    /** A node:http request listener serving every endpoint at the issuer's path. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
  export default Provider;
}
