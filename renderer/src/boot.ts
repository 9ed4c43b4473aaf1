/**
 * Imported first by main.tsx (the small entry chunk), so it runs before React is even fetched: picks the
 * view and asks the daemon for the view's first data at once, while React and the view's code are still
 * being loaded, compiled and evaluated.
 */
import { ApiClient } from './api/client.ts';
import { getBridge, isPopoverLocation } from './bridge.ts';
import { localTimeZone, rememberedTimeZone } from './api/timezone.ts';
import { formatBucket, formatClock, formatUsd } from './format.ts';
import { primeFor } from './views/queries.ts';

export const view: 'popover' | 'dashboard' = isPopoverLocation(window.location) ? 'popover' : 'dashboard';
export const bridge = getBridge();

function primed(client: ApiClient): ApiClient {
  client.prime(primeFor(view, rememberedTimeZone()));
  return client;
}

// In a browser the daemon is this page's origin: start the requests synchronously, during module
// evaluation, and hand React the client itself. In Electron the address comes over IPC, one round trip later.
export const initialClient: Promise<ApiClient> | ApiClient = window.cco
  ? bridge.daemon.info().then((info) => primed(new ApiClient(info)))
  : primed(new ApiClient({ baseUrl: window.location.origin, token: '' }));

// Fetch the dashboard's code now too, beside React (App imports it lazily; the module is shared).
if (view === 'dashboard') void import('./views/Dashboard.tsx');

// While the requests and the view's code are on their way the main thread is idle: load ICU's zone and
// number data now (the first Intl call in a fresh renderer took 15–30 ms, in the middle of the first
// render). Same formats as the first render, so the cached formatters are ready.
setTimeout(() => {
  const tz = localTimeZone();
  const now = new Date().toISOString();
  formatBucket(now, 'hour', undefined, tz);
  formatBucket(now, 'day', undefined, tz);
  formatClock(Date.now());
  formatUsd(1_234_000_000);
  formatUsd(4_200_000);
}, 0);
