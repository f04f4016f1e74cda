declare module 'swagger-ui-dist/absolute-path.js' {
  /** The folder holding the Swagger UI files (without loading the 1.5 MB bundle, as the package's main module does). */
  export default function getAbsoluteFSPath(): string;
}
