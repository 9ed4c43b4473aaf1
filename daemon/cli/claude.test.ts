import { describe, expect, it } from 'vitest';
import { claudeSettingsFile, shellLine } from './claude.ts';
import { browserCommand } from './browser.ts';

describe('shell lines and paths', () => {
  it.each([
    ['bash', 'export ANTHROPIC_BASE_URL=http://127.0.0.1:3000'],
    ['zsh', 'export ANTHROPIC_BASE_URL=http://127.0.0.1:3000'],
    ['fish', 'set -gx ANTHROPIC_BASE_URL http://127.0.0.1:3000'],
    ['powershell', '$env:ANTHROPIC_BASE_URL = "http://127.0.0.1:3000"'],
    ['cmd', 'set ANTHROPIC_BASE_URL=http://127.0.0.1:3000'],
  ])('%s', (shell, line) => {
    expect(shellLine(shell, 'http://127.0.0.1:3000')).toBe(line);
  });
  it('rejects unknown shells', () => {
    expect(() => shellLine('tcsh', 'u')).toThrow('--shell: "tcsh" is not one of');
  });
  it('finds Claude Code settings under HOME or CLAUDE_CONFIG_DIR', () => {
    expect(claudeSettingsFile({ HOME: '/h' })).toBe('/h/.claude/settings.json');
    expect(claudeSettingsFile({ HOME: '/h', CLAUDE_CONFIG_DIR: '/c' })).toBe('/c/settings.json');
  });
  it('picks the browser opener per platform, CCO_BROWSER first', () => {
    expect(browserCommand('u', {}, 'linux')).toEqual(['xdg-open', ['u']]);
    expect(browserCommand('u', {}, 'darwin')).toEqual(['open', ['u']]);
    expect(browserCommand('http://a/?x=1&y=2', {}, 'win32')).toEqual(['cmd', ['/c', 'start', '""', 'http://a/?x=1^&y=2']]);
    expect(browserCommand('u', { CCO_BROWSER: '/bin/b' }, 'linux')).toEqual(['/bin/b', ['u']]);
  });
});
