/** Azure api-version values the service must accept, by the shape they answer in (written here, not read from src). */
export const AZURE_V1_VERSIONS = ['2024-02-15-preview', '2024-03-01-preview', '2024-04-01-preview'];
export const AZURE_V2_VERSIONS = [
  '2024-05-01-preview',
  '2024-07-01-preview',
  '2024-08-01-preview',
  '2024-09-01-preview',
  '2024-10-01-preview',
  '2024-12-01-preview',
  '2025-01-01-preview',
  '2025-02-01-preview',
  '2025-03-01-preview',
  '2025-04-01-preview',
];
