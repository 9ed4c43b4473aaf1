import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ApiClient } from './api/client.ts';
import { getBridge, isPopoverLocation } from './bridge.ts';
import { primeFor } from './views/queries.ts';
import './styles.css';

const view = isPopoverLocation(window.location) ? 'popover' : 'dashboard';
document.documentElement.dataset.view = view;
document.title = view === 'popover' ? 'CCO' : 'CCO — Claude Code spend';
const bridge = getBridge();
// Ask the daemon for the view's first data now, while React and the view's code are still loading.
const initialClient = bridge.daemon.info().then((info) => {
  const client = new ApiClient(info);
  client.prime(primeFor(view));
  return client;
});
const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <App bridge={bridge} view={view} initialClient={initialClient} />
  </StrictMode>,
);
