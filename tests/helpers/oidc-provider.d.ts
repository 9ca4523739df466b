/**
 * The small part of oidc-provider 9 the test OAuth server uses (the package ships no types, and
 * @types/oidc-provider is not installed).
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export interface OidcClient {
    clientId: string;
    jwks?: { keys: Record<string, unknown>[] };
  }

  export interface OidcContext {
    oidc: {
      client: OidcClient;
      params: Record<string, string | undefined>;
    };
    body: unknown;
  }

  interface Saveable {
    save(): Promise<string>;
  }

  interface IssuedToken extends Saveable {
    expiration: number;
    scope?: string;
  }

  export interface FoundToken {
    clientId: string;
    accountId?: string;
    scope?: string;
    isExpired: boolean;
    consumed?: unknown;
  }

  interface TokenModel<Options, Instance> {
    new (options: Options): Instance;
    find(value: string, options?: { ignoreExpiration?: boolean }): Promise<FoundToken | undefined>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(name: string, handler: (ctx: OidcContext) => Promise<void>, params?: string | string[]): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; params: Record<string, unknown>; prompt: { name: string }; session?: { accountId: string } }>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    Client: { find(clientId: string): Promise<OidcClient | undefined> };
    Grant: new (options: { clientId: string; accountId: string }) => Saveable & { addOIDCScope(scope: string): void };
    RefreshToken: TokenModel<Record<string, unknown>, IssuedToken>;
    AccessToken: TokenModel<Record<string, unknown>, IssuedToken>;
    ClientCredentials: TokenModel<{ client: OidcClient; scope?: string }, IssuedToken>;
    ReplayDetection: { unique(iss: string, jti: string, exp: number): Promise<boolean> };
  }

  export const errors: {
    InvalidGrant: new (description: string) => Error;
    InvalidRequest: new (description: string) => Error;
  };

  export default Provider;
}
