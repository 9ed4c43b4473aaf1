/** Series colours that hold up on light and dark backgrounds. */
const COLORS = ['#d97757', '#4f86c6', '#5aa469', '#c9a227', '#9b6bc6', '#3fb0ac', '#d46a9b', '#8c8c8c'];

export function colorAt(i: number): string {
  return COLORS[i % COLORS.length]!;
}
