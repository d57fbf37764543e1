/** The words of an identifier: `UsersTable` and `users_table` both give `Users`/`users`, `Table`/`table`. */
export function words(id: string): string[] {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Upper snake case of a construct id: `UsersTable` -> `USERS_TABLE`. */
export function upperSnake(id: string): string {
  return words(id).join('_').toUpperCase();
}
