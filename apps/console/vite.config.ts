import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the API runs separately (`pnpm start`, port 3000); in production the server serves dist/.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/trpc': process.env.SIGNOFF_API_URL ?? 'http://127.0.0.1:3000' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
