# syntax=docker/dockerfile:1
# Builds without a database: checked queries read their schema facts from .sqlx/ (SQLX_OFFLINE,
# see .cargo/config.toml), the others are run by the tests, and migrations are embedded.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so editing the service does not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo ./.cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && mkdir migrations && cargo build --release --locked \
    && rm -rf src migrations
COPY .sqlx ./.sqlx
COPY src ./src
COPY migrations ./migrations
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 marketfront
COPY --from=build /src/target/release/marketfront /usr/local/bin/marketfront
USER marketfront
ENV MARKETFRONT_LISTEN=0.0.0.0:8080 \
    MARKETFRONT_LOG_FORMAT=json
EXPOSE 8080
# `serve` needs MARKETFRONT_JWT_SECRET and MARKETFRONT_ENCRYPTION_KEY from the environment
# (see the README); it refuses to start on the published demo keys.
ENTRYPOINT ["marketfront"]
CMD ["serve"]
