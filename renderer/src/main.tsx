import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { getBridge, isPopoverLocation } from './bridge.ts';
import './styles.css';

const view = isPopoverLocation(window.location) ? 'popover' : 'dashboard';
document.documentElement.dataset.view = view;
document.title = view === 'popover' ? 'CCO' : 'CCO — Claude Code spend';
const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <App bridge={getBridge()} view={view} />
  </StrictMode>,
);
