import { createDataSource } from './data-source';

/**
 * For the TypeORM CLI only (`npx typeorm migration:show -d dist/store/cli-data-source.js`): it
 * builds its DataSource when imported, which the service must not do, so it lives apart from
 * data-source.ts.
 */
export default createDataSource(process.env.DATABASE_URL ?? 'sqlite:data/callbot.sqlite');
