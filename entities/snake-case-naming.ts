import { DefaultNamingStrategy, type NamingStrategyInterface } from 'typeorm';

/**
 * Columns are snake_case in the database (`telegram_id`), properties camelCase in the code: hand-
 * written SQL and a person at `psql` then need no quotes. Names given explicitly are kept as written.
 */
export class SnakeCaseNaming extends DefaultNamingStrategy implements NamingStrategyInterface {
  override columnName(propertyName: string, customName: string | undefined, embeddedPrefixes: string[]): string {
    return customName ?? snakeCase([...embeddedPrefixes, propertyName].join('_'));
  }
}

export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
