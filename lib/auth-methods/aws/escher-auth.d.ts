// escher-auth ships no types: declarations for the parts we use (lib/escher.js, lib/authhelper.js, lib/canonicalizer.js, lib/signer.js, lib/utils.js).

declare module "escher-auth" {
  namespace Escher {
    interface Config {
      algoPrefix: string;
      vendorKey: string;
      hashAlgo: "SHA256" | "SHA512";
      credentialScope: string;
      authHeaderName: string;
      dateHeaderName: string;
      clockSkew: number;
      accessKeyId: string;
      apiSecret: string;
    }
    type Headers = [string, string][] | Record<string, string | string[] | undefined>;
    interface Request {
      method: string;
      /** Path and query, without scheme and host. */
      url: string;
      headers: Headers;
      body?: string | Buffer;
      host?: string;
    }
    type KeyDb = (accessKeyId: string) => string | undefined;
  }

  class Escher {
    constructor(config?: Partial<Escher.Config>);
    static create(config?: Partial<Escher.Config>): Escher;
    signRequest(request: Escher.Request, body: string | Buffer, headersToSign?: string[]): Escher.Request;
    /** Returns the access key id of a valid request; throws with the reason otherwise. */
    authenticate(request: Escher.Request, keyDb: Escher.KeyDb, mandatorySignedHeaders?: string[]): string;
    validateRequest(request: Escher.Request, body?: string | Buffer): void;
    getHeadersToSign(headersToSign?: string[]): string[];
  }
  export = Escher;
}

declare module "escher-auth/lib/authhelper.js" {
  import type Escher from "escher-auth";

  class AuthHelper {
    constructor(config: Partial<Escher.Config>, currentDate: Date);
    generateHeader(request: Escher.Request, body: string | Buffer, headersToSign: string[]): string;
  }
  export = AuthHelper;
}

declare module "escher-auth/lib/utils.js" {
  import type Escher from "escher-auth";

  class Utils {
    static toLongDate(date: Date): string;
    static toHeaderDateFormat(date: Date): string;
    static normalizeHeaders(headers: Escher.Headers): Record<string, string>;
    static addDefaultHeaders(defaultHeaders: Record<string, string>, request: Escher.Request): void;
  }
  export = Utils;
}

declare module "escher-auth/lib/canonicalizer.js" {
  import type Escher from "escher-auth";

  class Canonicalizer {
    constructor(hashAlgo?: "SHA256" | "SHA512");
    canonicalizeRequest(request: Escher.Request, body: string | Buffer, headersToSign: string[]): string;
  }
  export = Canonicalizer;
}

declare module "escher-auth/lib/signer.js" {
  import type Escher from "escher-auth";

  class Signer {
    constructor(config: Partial<Escher.Config>, currentDate: Date);
    getStringToSign(request: Escher.Request, body: string | Buffer, headersToSign: string[]): string;
  }
  export = Signer;
}
