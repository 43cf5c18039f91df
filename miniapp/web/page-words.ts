/** The page's words, read from /app/api/texts (telegram/texts.ts MINIAPP.page): the views take them from here, not from main.ts. */
export type PageWords = Record<string, string>;
