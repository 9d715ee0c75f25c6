/** The package version, sent as `novavms-js/<version>` (kept equal to package.json by a test). */
export const VERSION = "0.1.0";
