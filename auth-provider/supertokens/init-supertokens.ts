/**
 * supertokens-node set up as our OAuth2 authorization server: the
 * OAuth2Provider recipe (which brings the JWT and OpenID recipes, hence
 * /auth/jwt/jwks.json and /auth/.well-known/openid-configuration) served under
 * /auth on this process's own port, so tokens carry the same issuer as the
 * embedded backend's.
 */
import supertokens from "supertokens-node";
import OAuth2Provider from "supertokens-node/recipe/oauth2provider/index.js";

export interface SuperTokensSettings {
  connectionUri: string;
  apiKey: string | undefined;
  /** The issuer, e.g. http://localhost:3001/auth: its origin is the API domain, its path the base path. */
  issuer: string;
}

export function initSuperTokens(settings: SuperTokensSettings): void {
  const issuer = new URL(settings.issuer);
  supertokens.init({
    framework: "express",
    supertokens: { connectionURI: settings.connectionUri, ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) },
    appInfo: {
      appName: "m2m-grpc",
      apiDomain: issuer.origin,
      // No browser flows here, but supertokens-node requires a website origin.
      websiteDomain: issuer.origin,
      apiBasePath: issuer.pathname,
    },
    recipeList: [OAuth2Provider.init()],
  });
}
