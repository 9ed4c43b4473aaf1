/**
 * Imported first by main.tsx, so it is evaluated before React: picks the view and asks the daemon for the
 * view's first data at once, while React and the view's code are still being evaluated and loaded.
 */
import { ApiClient } from './api/client.ts';
import { getBridge, isPopoverLocation } from './bridge.ts';
import { primeFor } from './views/queries.ts';

export const view: 'popover' | 'dashboard' = isPopoverLocation(window.location) ? 'popover' : 'dashboard';
export const bridge = getBridge();

function primed(client: ApiClient): ApiClient {
  client.prime(primeFor(view));
  return client;
}

// In a browser the daemon is this page's origin: start the requests synchronously, during module
// evaluation. In Electron the address comes over IPC, so it is one round trip later.
export const initialClient: Promise<ApiClient> = window.cco
  ? bridge.daemon.info().then((info) => primed(new ApiClient(info)))
  : Promise.resolve(primed(new ApiClient({ baseUrl: window.location.origin, token: '' })));

// Fetch the dashboard's code now too (App imports it lazily; the module is shared).
if (view === 'dashboard') void import('./views/Dashboard.tsx');
