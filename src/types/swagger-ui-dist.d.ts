declare module 'swagger-ui-dist' {
  /** The folder holding the Swagger UI files. */
  export function getAbsoluteFSPath(): string;
}
