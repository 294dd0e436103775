/** Escapes a value for a Markdown table cell. */
export function cell(value: unknown): string {
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function table(header: string[], rows: unknown[][]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** Text inside a Markdown code span: a backtick in it would end the span early. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
