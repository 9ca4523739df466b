import Escher from "escher-auth";
import AuthHelper from "escher-auth/lib/authhelper.js";
import Canonicalizer from "escher-auth/lib/canonicalizer.js";
import Signer from "escher-auth/lib/signer.js";
import EscherUtils from "escher-auth/lib/utils.js";

export type EscherSigningConfig = Pick<
  Escher.Config,
  "algoPrefix" | "vendorKey" | "credentialScope" | "accessKeyId" | "apiSecret" | "authHeaderName" | "dateHeaderName"
>;

export interface EscherRequest {
  method: string;
  /** Path and query, as on the request line. */
  url: string;
  headers: [string, string][];
  body: string;
}

/**
 * `Escher.signRequest` with the clock passed in (escher-auth reads `new Date()` itself), composed of
 * escher-auth's own parts so the canonical request and signature are exactly the library's. Adds the
 * date header when missing and appends the auth header; `host` and the date header are always signed.
 */
export function signEscherRequest(
  request: EscherRequest,
  config: EscherSigningConfig,
  date: Date,
  headersToSign: readonly string[] = [],
): EscherRequest {
  const { fullConfig, signed, signedHeaders } = prepareEscherRequest(request, config, date, headersToSign);
  const authHeader = new AuthHelper(fullConfig, date).generateHeader(signed, signed.body, signedHeaders);
  signed.headers.push([config.authHeaderName.toLowerCase(), authHeader]);
  return signed;
}

/**
 * The canonical request and string to sign of what signEscherRequest signs with the same arguments,
 * by escher-auth's own Canonicalizer and Signer (the parts its AuthHelper signs with), and the auth
 * header they give.
 */
export function explainEscherRequest(
  request: EscherRequest,
  config: EscherSigningConfig,
  date: Date,
  headersToSign: readonly string[] = [],
): { canonicalRequest: string; stringToSign: string; authHeader: string } {
  const { fullConfig, signed, signedHeaders } = prepareEscherRequest(request, config, date, headersToSign);
  return {
    canonicalRequest: new Canonicalizer(fullConfig.hashAlgo).canonicalizeRequest(signed, signed.body, signedHeaders),
    stringToSign: new Signer(fullConfig, date).getStringToSign(signed, signed.body, signedHeaders),
    authHeader: new AuthHelper(fullConfig, date).generateHeader(signed, signed.body, signedHeaders),
  };
}

function prepareEscherRequest(request: EscherRequest, config: EscherSigningConfig, date: Date, headersToSign: readonly string[]) {
  const fullConfig = { ...config, hashAlgo: "SHA256" as const };
  const escher = new Escher(fullConfig);
  const signed: EscherRequest = { ...request, headers: request.headers.map(([name, value]) => [name, value]) };
  escher.validateRequest(signed, signed.body);

  const formattedDate =
    config.dateHeaderName.toLowerCase() === "date"
      ? EscherUtils.toHeaderDateFormat(date)
      : EscherUtils.toLongDate(date);
  EscherUtils.addDefaultHeaders(EscherUtils.normalizeHeaders([[config.dateHeaderName, formattedDate]]), signed);
  return { fullConfig, signed, signedHeaders: escher.getHeadersToSign([...headersToSign]) };
}
