# klagebot: a multi-stage build into a small runtime image.
#
#   docker build -t klagebot .
#   docker run --rm \
#     -v /etc/klagebot/klagebot.toml:/etc/klagebot/klagebot.toml:ro \
#     -v klagebot-data:/var/lib/klagebot \
#     -e KLAGEBOT_IMAP_PASSWORD -e KLAGEBOT_SMTP_PASSWORD -e KLAGEBOT_TOKEN_SECRET \
#     klagebot
#
# Secrets come from the environment or from mounted files named in the config
# (`*_env`, `*_file`); none is baked into the image.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && for bench in classify store; do echo 'fn main() {}' > "benches/$bench.rs"; done \
    && cargo build --release --locked --bin klagebot \
    && rm -rf src benches
COPY src ./src
COPY benches ./benches
# build.rs packs the labelled corpus into the binary for `klagebot train`.
COPY build.rs ./
COPY fixtures/complaint-corpus ./fixtures/complaint-corpus
COPY fixtures/classify ./fixtures/classify
COPY migrations ./migrations
COPY templates ./templates
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin klagebot

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/klagebot --create-home --uid 10001 klagebot
COPY --from=build /src/target/release/klagebot /usr/local/bin/klagebot
# Templates and migrations are embedded in the binary; the shipped templates are
# also copied so that a company can start its overrides from them.
COPY --from=build /src/templates /usr/share/klagebot/templates
USER klagebot
WORKDIR /var/lib/klagebot
ENV KLAGEBOT_CONFIG=/etc/klagebot/klagebot.toml
VOLUME ["/var/lib/klagebot"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/klagebot", "--log-format", "json"]
CMD ["run"]
