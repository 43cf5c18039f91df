/**
 * A text cell as a spreadsheet will not run it: a cell that begins with = + - @ (or a tab or
 * carriage return, which some programs skip before looking) is read as a formula by Excel,
 * LibreOffice and Google Sheets, so a note typed as `=HYPERLINK(…)` would run on the admin's
 * machine. Such a cell gets a leading apostrophe, the spreadsheets' own "this is text" mark.
 */
export function inertCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
