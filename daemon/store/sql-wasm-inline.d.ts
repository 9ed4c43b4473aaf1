/** sql.js' build with the wasm embedded (no types of its own): same export as the package's main entry. */
declare module 'sql.js/dist/sql-wasm-inline.js' {
  import initSqlJs from 'sql.js';
  export default initSqlJs;
}
