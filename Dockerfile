# driftwatch daemon image: build the TypeScript, then a slim runtime with production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
COPY drift ./drift
COPY deploy ./deploy
RUN mkdir -p /app/.driftwatch && chown node:node /app/.driftwatch
USER node
EXPOSE 9464
ENTRYPOINT ["node", "bin/driftwatch.js"]
CMD ["run", "--config", "drift/demo/driftwatch.yaml"]
