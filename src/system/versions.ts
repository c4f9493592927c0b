/** berth's own version and the Engine API versions it serves (every one from MIN to MAX). */
export const BERTH_VERSION = '0.1.0';
export const MIN_API = '1.24';
export const MAX_API = '1.50';
