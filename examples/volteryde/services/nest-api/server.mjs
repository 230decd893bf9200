// Entry point, both in the source tree and in the built artifact: `node server.mjs`, PORT from the environment.
import { serve } from '../../libs/shared/src/serve.mjs';
import { SERVICE, createApp } from './src/app.mjs';

serve(createApp(process.env), { name: SERVICE, defaultPort: 3000 });
