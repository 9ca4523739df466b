import { metrics, siteLabels, type SiteRef } from "./metrics";

/** Counts a request to a site's token endpoint, and counts it again as a failure when it throws. */
export async function observeTokenFetch<T>(site: SiteRef, fetchToken: () => Promise<T>): Promise<T> {
  const m = metrics();
  const labels = siteLabels(site);
  m.tokenFetches.inc(labels);
  try {
    return await fetchToken();
  } catch (error) {
    m.tokenFetchFailures.inc(labels);
    throw error;
  }
}
