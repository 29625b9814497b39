import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The CSP the daemon serves the built page with; `vite preview` uses it too so a
// violation shows up before the page ships.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const backend = process.env.PINCER_UI_BACKEND ?? "http://127.0.0.1:7420";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No inline `data:` scripts or styles: the CSP allows only files from 'self'.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: false, ws: true },
    },
  },
  preview: {
    headers: { "Content-Security-Policy": CSP },
    proxy: {
      "/api": { target: backend, changeOrigin: false, ws: true },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
