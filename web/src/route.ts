import { useEffect, useState } from 'react';
import { parseRoute, type Route } from './route-parse';

export type { Route } from './route-parse';

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const go = (hash: string): void => {
  location.hash = hash;
};
