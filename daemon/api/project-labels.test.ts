import { describe, expect, it } from 'vitest';
import { projectLabeler } from './project-labels.ts';

describe('projectLabeler', () => {
  it('labels same-named folders by their shortest unique suffix', () => {
    const label = projectLabeler(['/home/u/a/my-app', '/home/u/b/my-app', '/home/u/tools', '(none)']);
    expect(label('/home/u/a/my-app')).toBe('a/my-app');
    expect(label('/home/u/b/my-app')).toBe('b/my-app');
    expect(label('/home/u/tools')).toBe('tools');
    expect(label('(none)')).toBe('(none)');
    expect(label(null)).toBe('(none)');
  });

  it('goes as deep as it takes', () => {
    const label = projectLabeler(['/w/x/src/app', '/w/y/src/app', '/w/z/lib/app']);
    expect(label('/w/x/src/app')).toBe('x/src/app');
    expect(label('/w/y/src/app')).toBe('y/src/app');
    expect(label('/w/z/lib/app')).toBe('lib/app');
  });

  it('shows a path whole when it is a suffix of another project', () => {
    const label = projectLabeler(['/a/app', '/x/a/app']);
    expect(label('/x/a/app')).toBe('x/a/app');
    expect(label('/a/app')).toBe('/a/app');
  });

  it('treats Windows separators and trailing slashes as the same project', () => {
    const label = projectLabeler(['C:\\work\\one\\svc', 'C:\\work\\two\\svc', '/srv/svc/']);
    expect(label('C:\\work\\one\\svc')).toBe('one/svc');
    expect(label('/srv/svc')).toBe('srv/svc');
  });

  it('falls back to the last segment for a path it was not given', () => {
    expect(projectLabeler([])('/home/u/elsewhere')).toBe('elsewhere');
  });
});
