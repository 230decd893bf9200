/** The dashboard's pages, addressed by the URL's hash so the server only ever serves index.html. */
export type Route =
  | { readonly page: 'environments' }
  | { readonly page: 'runs'; readonly query: URLSearchParams }
  | { readonly page: 'run'; readonly id: number }
  | { readonly page: 'approvals' }
  | { readonly page: 'rollback'; readonly environment: string | null }
  | { readonly page: 'backups' }
  | { readonly page: 'backup'; readonly id: number }
  | { readonly page: 'dora' }
  | { readonly page: 'audit' }
  | { readonly page: 'not-found'; readonly path: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const id = Number(parts[1]);
  switch (parts[0]) {
    case undefined:
    case 'environments':
      return { page: 'environments' };
    case 'runs':
      return parts[1] === undefined ? { page: 'runs', query: new URLSearchParams(search) } : Number.isInteger(id) && id > 0 ? { page: 'run', id } : { page: 'not-found', path };
    case 'approvals':
      return { page: 'approvals' };
    case 'rollback':
      return { page: 'rollback', environment: parts[1] ?? null };
    case 'backups':
      return parts[1] === undefined ? { page: 'backups' } : Number.isInteger(id) && id > 0 ? { page: 'backup', id } : { page: 'not-found', path };
    case 'dora':
      return { page: 'dora' };
    case 'audit':
      return { page: 'audit' };
    default:
      return { page: 'not-found', path };
  }
}
