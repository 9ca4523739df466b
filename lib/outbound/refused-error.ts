export const OUTBOUND_ADDRESS_REFUSED = "OUTBOUND_ADDRESS_REFUSED";

export interface AddressRefusal {
  readonly address: string;
  readonly reason: string;
}

/** A connection refused by the address policy. Names the target only: no headers, no body. */
export class OutboundAddressRefusedError extends Error {
  override name = "OutboundAddressRefusedError";
  readonly code = OUTBOUND_ADDRESS_REFUSED;

  constructor(
    readonly target: string,
    readonly refusals: readonly AddressRefusal[],
  ) {
    const why = refusals
      .map(({ address, reason }) => (address === target ? reason : `${address}: ${reason}`))
      .join("; ");
    super(`refused to connect to ${target} (${why}); allow it with ALLOW_PRIVATE_TARGETS`);
  }
}

/** The refusal behind an error, also when wrapped as a cause (e.g. undici's "fetch failed"). */
export function findOutboundRefusal(error: unknown): OutboundAddressRefusedError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === OUTBOUND_ADDRESS_REFUSED) {
      return e as OutboundAddressRefusedError;
    }
  }
  return undefined;
}
