import { bridge, initialClient, view } from './boot.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';

document.documentElement.dataset.view = view;
document.title = view === 'popover' ? 'CCO' : 'CCO — Claude Code spend';
const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <App bridge={bridge} view={view} initialClient={initialClient} />
  </StrictMode>,
);
